/**
 * A small OTLP/HTTP metrics receiver for tests (the JSON protocol, what
 * `@opentelemetry/exporter-metrics-otlp-http` sends): it keeps every export request, and turns an
 * export into the series a Prometheus would read from a collector that keeps names as sent
 * (`add_metric_suffixes: false`): sums and gauges as they are, histograms as `_bucket{le}`, `_sum`, `_count`.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

interface KeyValue { key: string; value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean } }
interface NumberPoint { attributes?: KeyValue[]; asDouble?: number; asInt?: string | number }
interface HistogramPoint { attributes?: KeyValue[]; count: string | number; sum?: number; bucketCounts: Array<string | number>; explicitBounds: number[] }
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: NumberPoint[]; isMonotonic?: boolean; aggregationTemporality?: number };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality?: number };
}
export interface OtlpExport {
  resourceMetrics: Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics: Array<{ scope?: { name?: string }; metrics: OtlpMetric[] }> }>;
}

export interface Received {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly path: string;
  readonly body: OtlpExport;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly received: Received[];
  /** The first export received after `since` that satisfies `check`. */
  waitFor(check: (r: Received) => boolean, timeoutMs?: number, since?: number): Promise<Received>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push({ at: Date.now(), headers: req.headers, path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) as OtlpExport });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async waitFor(check, timeoutMs = 15_000, since = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = received.find((r) => r.at >= since && check(r));
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no OTLP export matched within ${timeoutMs} ms (${received.length} received)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function value(v: KeyValue['value']): string {
  return String(v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? '');
}

function id(name: string, attributes: KeyValue[] | undefined, extra: Record<string, string> = {}): string {
  const labels: Record<string, string> = { ...extra };
  for (const kv of attributes ?? []) labels[kv.key] = value(kv.value);
  return `${name}{${Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(',')}}`;
}

/** `le` as prom-client writes it. */
const le = (bound: number) => (bound === Infinity ? '+Inf' : String(bound));

/** Every series of one export, by `name{sorted labels}` (the same identity as pipeline.ts's seriesOf). */
export function otlpSeries(body: OtlpExport): Map<string, number> {
  const out = new Map<string, number>();
  for (const rm of body.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        for (const p of m.sum?.dataPoints ?? m.gauge?.dataPoints ?? []) out.set(id(m.name, p.attributes), Number(p.asDouble ?? p.asInt));
        for (const p of m.histogram?.dataPoints ?? []) {
          let cumulative = 0;
          p.bucketCounts.forEach((n, i) => {
            cumulative += Number(n);
            out.set(id(`${m.name}_bucket`, p.attributes, { le: le(p.explicitBounds[i] ?? Infinity) }), cumulative);
          });
          out.set(id(`${m.name}_sum`, p.attributes), Number(p.sum ?? 0));
          out.set(id(`${m.name}_count`, p.attributes), Number(p.count));
        }
      }
    }
  }
  return out;
}

/** The value of `service.name` on the export's first resource. */
export function serviceName(body: OtlpExport): string | undefined {
  const kv = body.resourceMetrics[0]?.resource?.attributes?.find((a) => a.key === 'service.name');
  return kv === undefined ? undefined : value(kv.value);
}
