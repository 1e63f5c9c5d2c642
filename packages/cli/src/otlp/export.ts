/**
 * `--otlp-endpoint URL` and the standard `OTEL_EXPORTER_OTLP_*` variables for the long-running
 * commands (proxy, logs): their prom-client registry, exported over OTLP/HTTP (JSON) every
 * `OTEL_METRIC_EXPORT_INTERVAL` ms by a `PeriodicExportingMetricReader`, and once more on shutdown.
 * /metrics stays as it was: both show the same registry (docs/opentelemetry.md).
 *
 * The endpoint: `--otlp-endpoint`, else `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (used as is), else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, as the OTel specification orders them; none of them:
 * no export. A URL that is not http(s) is a usage error here, where the exporter alone would log a
 * warning and send to localhost:4318 instead. Headers (`OTEL_EXPORTER_OTLP_HEADERS`,
 * `OTEL_EXPORTER_OTLP_METRICS_HEADERS`), timeouts and compression are read by the exporter itself.
 */
import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';
import { UsageError } from '../cli-args';
import { RegistryProducer } from './registry-producer';

/** The flag's lines for a command's usage text, its descriptions starting at column `width`. */
export function otlpUsage(width: number): string {
  const pad = ' '.repeat(width);
  return [
    `${'  --otlp-endpoint URL'.padEnd(width)}also push the metrics over OTLP/HTTP (JSON), e.g. http://collector:4318/v1/metrics`,
    `${pad}(or OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_METRICS_ENDPOINT; OTEL_EXPORTER_OTLP_HEADERS;`,
    `${pad}OTEL_METRIC_EXPORT_INTERVAL ms, default 60000); /metrics is served as before`,
  ].join('\n');
}

export interface OtlpSettings {
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function parseUrl(value: string, where: string, command: string, appendPath: boolean): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new UsageError(`cors-sentinel ${command}: ${where} ${JSON.stringify(value)} is not a URL; expected e.g. http://127.0.0.1:4318/v1/metrics`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`cors-sentinel ${command}: ${where} ${JSON.stringify(value)}: only http:// and https:// (OTLP/HTTP) are supported`);
  }
  if (appendPath) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/metrics`;
  return url.href;
}

function positiveMs(env: Env, variable: string, command: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`cors-sentinel ${command}: ${variable}=${JSON.stringify(raw)}: expected milliseconds, a whole number above 0`);
  return n;
}

/** The export settings from the flag and the environment, or undefined when no endpoint is set. */
export function otlpSettings(flag: string | undefined, command: string, env: Env = process.env): OtlpSettings | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim() || undefined;
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || undefined;
  let url: string;
  if (flag !== undefined) {
    // A bare collector address (no path) means its OTLP/HTTP metrics path, as the general variable does.
    const bare = /^[a-z]+:\/\/[^/]+\/?$/i.test(flag.trim());
    url = parseUrl(flag, '--otlp-endpoint', command, bare);
  } else if (specific !== undefined) url = parseUrl(specific, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', command, false);
  else if (general !== undefined) url = parseUrl(general, 'OTEL_EXPORTER_OTLP_ENDPOINT', command, true);
  else return undefined;
  const intervalMs = positiveMs(env, 'OTEL_METRIC_EXPORT_INTERVAL', command, 60_000);
  // The reader requires the export timeout not to exceed the interval.
  const timeoutMs = Math.min(positiveMs(env, 'OTEL_METRIC_EXPORT_TIMEOUT', command, 30_000), intervalMs);
  return { url, intervalMs, timeoutMs };
}

export interface OtlpExport {
  readonly url: string;
  /** Exports what was counted since the last export, then stops; never rejects. */
  shutdown(): Promise<void>;
}

/** Starts exporting `registry` (service.name `cors-sentinel-<command>` unless OTEL_SERVICE_NAME says otherwise). */
export function startOtlpExport(registry: Registry, settings: OtlpSettings, command: string): OtlpExport {
  // Export failures reach the SDK's global error handler, which logs through diag: on stderr, not lost.
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': `cors-sentinel-${command}` }))
    .merge(detectResources({ detectors: [envDetector] }));
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: settings.url }),
    exportIntervalMillis: settings.intervalMs,
    exportTimeoutMillis: settings.timeoutMs,
    metricProducers: [new RegistryProducer(registry, resource)],
  });
  const provider = new MeterProvider({ resource, readers: [reader] });
  console.log(`cors-sentinel ${command} metrics pushed over OTLP to ${settings.url} every ${settings.intervalMs} ms`);
  return {
    url: settings.url,
    shutdown: () => provider.shutdown().catch((err: unknown) => console.error(`cors-sentinel ${command}: last OTLP export failed: ${(err as Error).message}`)),
  };
}
