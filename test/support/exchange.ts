/**
 * HTTP over real sockets (listen, send, raw exchanges), metric series and an in-memory logger. Used by
 * the observer, adapter, conformance, compatibility and example tests, so it lives with the shared helpers.
 */
import { request as httpRequest, Agent, type IncomingHttpHeaders, type RequestListener, type Server, createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import winston from 'winston';
import Transport from 'winston-transport';

export interface Running {
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener): Promise<Running> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Exchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Header fields as sent, names lower-cased, repeated fields kept. */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export interface Req {
  readonly method?: string;
  readonly path?: string;
  /** Sent exactly as given (names keep their case). */
  readonly headers?: Readonly<Record<string, string>>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function send(port: number, r: Req): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      { host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path ?? '/', headers: { ...r.headers }, agent, setHost: r.headers?.Host === undefined },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const fields: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) fields.push([(res.rawHeaders[i] as string).toLowerCase(), res.rawHeaders[i + 1] as string]);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, fields, body });
        });
      },
    );
    out.on('error', reject);
    out.end();
  });
}

/** The raw bytes of one response over a fresh connection (request written verbatim, `Connection: close`). */
export function rawExchange(port: number, head: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.write(head);
  });
}

/** `name{labels} value` for every series of a metric, sorted: compare whole expositions, not one value. */
export async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    const labels = Object.entries(v.labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, val]) => `${k}=${String(val)}`)
      .join(',');
    const key = `${(v as { metricName?: string }).metricName ?? name}{${labels}}`;
    if (v.value !== 0) out[key] = v.value;
  }
  return out;
}

/** Value of the counter series with exactly these labels (0 when absent). */
export async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const want = Object.entries(labels);
  const hit = (await metric.get()).values.find(
    (v) => Object.keys(v.labels).length === want.length && want.every(([k, val]) => String(v.labels[k]) === val),
  );
  return hit?.value ?? 0;
}

/** Counts per finding label, zero entries dropped. */
export async function findingCounts(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const metric = registry.getSingleMetric('cors_response_findings_total');
  if (!metric) return out;
  for (const v of (await metric.get()).values) if (v.value > 0) out[String(v.labels.finding)] = v.value;
  return out;
}

/** A winston logger that keeps its lines in memory. */
export function memoryLogger(): { logger: winston.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  class Memory extends Transport {
    override log(info: Record<string, unknown>, done: () => void): void {
      lines.push({ ...info });
      done();
    }
  }
  return { logger: winston.createLogger({ level: 'debug', transports: [new Memory()] }), lines };
}
