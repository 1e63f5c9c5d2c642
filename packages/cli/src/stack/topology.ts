/**
 * The native stack reuses the compose stack's files. docker-compose.yml is read as the description of
 * the topology: its volumes say which repository file each service sees at which container path,
 * and its service names are the hostnames inside those files. Rewriting both (container path → the
 * repository path, `service:port` → `127.0.0.1:<local port>`) into a temporary directory gives the
 * native processes the same configuration without a second copy to keep in sync.
 */
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_DASHBOARDS_CONFIG } from '../mixin/dashboards/config';

/** Services of the stack and the port each listens on inside compose. */
export const SERVICE_PORTS = { api: 3000, prometheus: 9090, alertmanager: 9093, 'oncall-webhook': 9099, grafana: 3000, prober: 9465 } as const;
export type ServiceName = keyof typeof SERVICE_PORTS;
export type Ports = Record<ServiceName, number>;

/** Host ports published by docker-compose.yml, used by the native runner too (Grafana on 3001: the API has 3000). */
export const DEFAULT_PORTS: Ports = { api: 3000, prometheus: 9090, alertmanager: 9093, 'oncall-webhook': 9099, grafana: 3001, prober: 9465 };

export interface Mount {
  readonly host: string;
  readonly container: string;
}

interface ComposeService {
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | number>;
}

/** Bind mounts (not named volumes) of each service, with host paths resolved against the repository. */
export function composeMounts(root: string): Record<string, Mount[]> {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services?: Record<string, ComposeService> };
  const out: Record<string, Mount[]> = {};
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    out[name] = [];
    for (const v of service.volumes ?? []) {
      const [source, target] = typeof v === 'string' ? v.split(':') : [v.source, v.target];
      if (source === undefined || target === undefined || !(source.startsWith('./') || source.startsWith('../') || source.startsWith('/'))) continue;
      out[name].push({ host: resolve(root, source), container: target });
    }
  }
  return out;
}

/** Replaces `service:port` of every stack service with the loopback address of its native process. */
export function rewriteHosts(text: string, ports: Ports): string {
  return text.replace(/(?<![\w.-])(api|prometheus|alertmanager|oncall-webhook|grafana|prober):(\d+)\b/g, (all, name: ServiceName, port: string) =>
    Number(port) === SERVICE_PORTS[name] ? `127.0.0.1:${ports[name]}` : all,
  );
}

/** Replaces container paths (longest first, so nested mounts win) with repository paths. */
export function rewritePaths(text: string, mounts: readonly Mount[]): string {
  let out = text;
  for (const m of [...mounts].sort((a, b) => b.container.length - a.container.length)) {
    out = out.split(m.container).join(m.host);
  }
  return out;
}

export interface PreparedConfigs {
  readonly dir: string;
  readonly prometheusConfig: string;
  readonly alertmanagerConfig: string;
  /** Grafana's provisioning directory (datasource URL and dashboards path rewritten). */
  readonly grafanaProvisioning: string;
  readonly grafanaHomeDashboard: string;
  /** The CORS prober's config (deploy/probe/probe.yml with its targets on loopback). */
  readonly probeConfig: string;
}

export interface PrepareOptions {
  /** Overrides the scrape and rule evaluation interval of deploy/prometheus/prometheus.yml (tests use 1s). */
  readonly scrapeInterval?: string;
}

/** Writes the native variants of the mounted config files into `dir`. */
export function prepareConfigs(root: string, dir: string, ports: Ports, options: PrepareOptions = {}): PreparedConfigs {
  const mounts = composeMounts(root);
  const hostFileOf = (service: string, containerPath: string): string => {
    const m = (mounts[service] ?? []).find((x) => x.container === containerPath);
    if (!m) throw new Error(`stack: docker-compose.yml mounts nothing at ${containerPath} in service ${service}`);
    return m.host;
  };
  const write = (rel: string, text: string): string => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  };
  const native = (service: string, text: string): string => rewritePaths(rewriteHosts(text, ports), mounts[service] ?? []);

  let prometheus = native('prometheus', readFileSync(hostFileOf('prometheus', '/etc/prometheus/prometheus.yml'), 'utf8'));
  if (options.scrapeInterval !== undefined) {
    const doc = parse(prometheus) as { global?: Record<string, unknown>; rule_files?: string[] };
    doc.global = { ...doc.global, scrape_interval: options.scrapeInterval, evaluation_interval: options.scrapeInterval };
    doc.rule_files = (doc.rule_files ?? []).map((glob) => fastRules(glob, join(dir, 'prometheus', 'rules')));
    prometheus = stringify(doc);
  }
  const prometheusConfig = write('prometheus/prometheus.yml', prometheus);
  const alertmanagerConfig = write('alertmanager/alertmanager.yml', native('alertmanager', readFileSync(hostFileOf('alertmanager', '/etc/alertmanager/alertmanager.yml'), 'utf8')));

  const provisioningSource = hostFileOf('grafana', '/etc/grafana/provisioning');
  const grafanaProvisioning = join(dir, 'grafana', 'provisioning');
  for (const file of walk(provisioningSource)) {
    write(join('grafana', 'provisioning', relative(provisioningSource, file)), native('grafana', readFileSync(file, 'utf8')));
  }
  const dashboardsDir = hostFileOf('grafana', DEFAULT_DASHBOARDS_CONFIG.dashboardsPath);
  const probeConfig = write('probe/probe.yml', native('prober', readFileSync(hostFileOf('prober', '/etc/cors-sentinel/probe.yml'), 'utf8')));
  return { dir, prometheusConfig, alertmanagerConfig, grafanaProvisioning, grafanaHomeDashboard: join(dashboardsDir, 'cors-overview.json'), probeConfig };
}

/**
 * Copies of the rule files without their groups' own `interval` (the week-long baseline is
 * evaluated every 5 minutes), so that a sped-up stack records the baseline from its first seconds.
 */
function fastRules(glob: string, into: string): string {
  const source = dirname(glob);
  const pattern = new RegExp(`^${basename(glob).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  mkdirSync(into, { recursive: true });
  for (const file of readdirSync(source).filter((f) => pattern.test(f))) {
    const rules = parse(readFileSync(join(source, file), 'utf8')) as { groups?: Array<Record<string, unknown>> };
    for (const group of rules.groups ?? []) delete group.interval;
    writeFileSync(join(into, file), stringify(rules, { lineWidth: 0 }));
  }
  return join(into, basename(glob));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
