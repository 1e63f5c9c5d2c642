/**
 * The Prometheus scrape job for the /probe exporter, blackbox_exporter style: the targets are the
 * URLs to probe; relabelling moves each into `__param_target` (the query parameter), keeps it as the
 * `instance` label, and points `__address__` at the exporter. Used for the compose stack's
 * prometheus.yml and the standalone example in deploy/prometheus/.
 */

export interface ProbeJobOptions {
  readonly jobName: string;
  /** `host:port` of the exporter (`cors-sentinel probe --serve`). */
  readonly exporter: string;
  readonly module: string;
  /** URLs to probe; each must be listed in the exporter's config too. */
  readonly targets: readonly string[];
  /** Probes send dozens of requests: scrape them far less often than /metrics. */
  readonly scrapeInterval: string;
  readonly scrapeTimeout: string;
}

export function probeScrapeJob(o: ProbeJobOptions): Record<string, unknown> {
  return {
    job_name: o.jobName,
    metrics_path: '/probe',
    params: { module: [o.module] },
    scrape_interval: o.scrapeInterval,
    scrape_timeout: o.scrapeTimeout,
    static_configs: [{ targets: [...o.targets] }],
    relabel_configs: [
      { source_labels: ['__address__'], target_label: '__param_target' },
      { source_labels: ['__param_target'], target_label: 'instance' },
      { target_label: '__address__', replacement: o.exporter },
    ],
  };
}

/** Appends the probe job to a Prometheus config's scrape_configs. */
export function withProbeJob(config: Record<string, unknown>, job: ProbeJobOptions): Record<string, unknown> {
  const jobs: readonly unknown[] = Array.isArray(config.scrape_configs) ? config.scrape_configs : [];
  return { ...config, scrape_configs: [...jobs, probeScrapeJob(job)] };
}

/** The compose stack's prober (docker-compose.yml service `prober`, config deploy/probe/probe.yml). */
export const COMPOSE_PROBE_JOB: ProbeJobOptions = {
  jobName: 'cors-probe',
  exporter: 'prober:9465',
  module: 'demo',
  targets: ['http://api:3000/api/account/me', 'http://api:3000/public/status', 'http://api:3000/legacy/feed'],
  scrapeInterval: '15s',
  scrapeTimeout: '10s',
};

/** The standalone example: your exporter on loopback, your API's URLs. */
export const EXAMPLE_PROBE_JOB: ProbeJobOptions = {
  jobName: 'cors-probe',
  exporter: '127.0.0.1:9465',
  module: 'web',
  targets: ['https://api.example.com/api/me', 'https://api.example.com/public/catalog'],
  scrapeInterval: '5m',
  scrapeTimeout: '30s',
};
