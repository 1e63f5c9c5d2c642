/**
 * A real OpenTelemetry metrics pipeline for tests: an SDK MeterProvider read by the OTel Prometheus
 * exporter, with the two settings that keep the contract's series (docs/opentelemetry.md): no
 * `otel_scope_*` labels, no `target_info`.
 */
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, type ExporterConfig } from '@opentelemetry/exporter-prometheus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { parseMetrics, type Metrics, type Sample } from '../browser/metrics';

export interface OtelPipeline {
  readonly provider: MeterProvider;
  readonly exporter: PrometheusExporter;
  /** The exposition the exporter serves, as a Prometheus scrape gets it. */
  scrape(): Promise<string>;
  /** The exporter's `/metrics` handler, to mount on a listener of the test's own. */
  handler(req: IncomingMessage, res: ServerResponse): void;
  shutdown(): Promise<void>;
}

/** `settings` override the exporter's (the test of the two settings turns them off). */
export function otelPipeline(settings: ExporterConfig = {}): OtelPipeline {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true, ...settings });
  const provider = new MeterProvider({ readers: [exporter] });
  const handler = (req: IncomingMessage, res: ServerResponse) => exporter.getMetricsRequestHandler(req, res);
  return {
    provider,
    exporter,
    handler,
    async scrape() {
      // Through the exporter's own request handler, on a response that only collects what it writes.
      const sink = new PassThrough();
      let text = '';
      sink.on('data', (d: Buffer) => (text += d.toString()));
      const res = Object.assign(sink, { statusCode: 200, setHeader: () => undefined }) as unknown as ServerResponse;
      await new Promise<void>((resolve) => {
        sink.on('finish', () => resolve());
        handler({} as IncomingMessage, res);
      });
      return text;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** `name{a="1",b="2"}` with labels sorted: the identity of a series whatever the exposition's label order. */
export function seriesId(s: Sample): string {
  const labels = Object.keys(s.labels).sort().map((k) => `${k}="${s.labels[k]}"`).join(',');
  return `${s.name}{${labels}}`;
}

/** Every series of an exposition, by `seriesId`. */
export function seriesOf(text: string): Map<string, number> {
  const metrics: Metrics = parseMetrics(text);
  return new Map(metrics.samples.map((s) => [seriesId(s), s.value]));
}
