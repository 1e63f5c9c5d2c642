/**
 * `createCorsProxy()`: the sidecar reverse proxy. A CORS layer (enforce or observe) in front of an
 * undici keep-alive pool to one upstream, an admin listener with `/metrics` and `/healthz`, and a
 * graceful shutdown that stops accepting and drains what is in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Registry } from 'prom-client';
import { Pool } from 'undici';
import type { MetricsAuth } from '../metrics/handler';
import { createMetricsHandler } from '../metrics/handler';
import { UsageError } from '../cli-args';
import type { CorsSentinelOptions } from '../policy/options';
import { forward } from './forward';
import { createCorsLayer, type CorsLayer, type ProxyMode } from './layer';
import { createProxyMetrics, type ProxyMetrics } from './metrics';
import { isWebSocketUpgrade, pipeUpgrade, refuseUpgrade, type UpgradeSettings } from './websocket';

export interface CorsProxyOptions {
  /** `http://host:port` (or https) of the backend. */
  readonly upstream: string;
  readonly policy: CorsSentinelOptions;
  /** Default `enforce`. */
  readonly mode?: ProxyMode;
  /** Time to open an upstream connection. Default 5 000 ms (then 504). */
  readonly connectTimeoutMs?: number;
  /** Time from sending the request to the backend's response head. Default 60 000 ms (then 504). */
  readonly responseTimeoutMs?: number;
  /** Longest silence while a body streams. Default 60 000 ms (then the connection is cut). */
  readonly bodyTimeoutMs?: number;
  /** Keep-alive connections to the upstream. Default 64. */
  readonly upstreamConnections?: number;
  /** How long a shutdown waits for in-flight requests. Default 25 000 ms (under Kubernetes' 30 s grace). */
  readonly drainTimeoutMs?: number;
  readonly metricsAuth?: MetricsAuth;
}

export interface CorsProxy {
  readonly registry: Registry;
  /** The proxy's own listener. */
  readonly server: Server;
  /** `/metrics` and `/healthz`; serve it on its own port with `admin.listen()`. */
  readonly admin: Server;
  /** Stops accepting, lets in-flight requests finish (up to `drainTimeoutMs`), then closes the pool. */
  shutdown(): Promise<void>;
}

export function createCorsProxy(options: CorsProxyOptions): CorsProxy {
  const upstream = parseUpstream(options.upstream);
  const registry = options.policy.metrics && options.policy.metrics.registry ? options.policy.metrics.registry : new Registry();
  const layer = createCorsLayer(options.mode ?? 'enforce', options.policy, registry);
  const metrics = createProxyMetrics(layer.registry, layer.prefix);
  const connectTimeout = options.connectTimeoutMs ?? 5_000;
  const pool = new Pool(upstream.origin, { connections: options.upstreamConnections ?? 64, connect: { timeout: connectTimeout }, pipelining: 1 });
  const settings = { headersTimeoutMs: options.responseTimeoutMs ?? 60_000, bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000 };
  let draining = false;
  const inFlight = new InFlight();
  const upgraded = new Set<Duplex>();
  const hooks = (req: IncomingMessage) => ({
    keepResponseHeader: layer.keepResponseHeader,
    responseStarted: (dropped: readonly string[]) => layer.responseStarted(req, dropped),
    upstreamError: metrics.upstreamError,
    get draining() {
      return draining;
    },
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight.track(res);
    if (draining) res.setHeader('connection', 'close');
    try {
      layer.handle(req, res, () => void forward(pool, req, res, settings, hooks(req)));
    } catch {
      // A layer never throws on a request; if one did, the client gets a 502, never a crash.
      if (!res.headersSent) {
        res.statusCode = 502;
        res.end();
      }
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (draining) return refuseUpgrade(socket, 503);
    handleUpgrade(layer, metrics, { upstream, connectTimeoutMs: connectTimeout }, upgraded, req, socket, head);
  });
  server.on('clientError', answerParserError);

  const admin = createAdminServer(layer.registry, options.metricsAuth, () => draining);

  async function shutdown(): Promise<void> {
    if (draining) return;
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = inFlight.idle();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? 25_000).unref());
    await Promise.race([drained, deadline]);
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
    await closed;
    await pool.close().catch(() => pool.destroy());
    layer.close();
    await new Promise<void>((resolve) => (admin.listening ? admin.close(() => resolve()) : resolve()));
  }

  return { registry: layer.registry, server, admin, shutdown };
}

/** Counts requests until their response closes; `idle()` resolves when none is left. */
class InFlight {
  private count = 0;
  private waiting: Array<() => void> = [];

  track(res: ServerResponse): void {
    this.count++;
    res.once('close', () => {
      if (--this.count === 0) for (const wake of this.waiting.splice(0)) wake();
    });
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Judges a WebSocket upgrade's Origin, then refuses it or opens the tunnel (kept in `open` for shutdown). */
function handleUpgrade(layer: CorsLayer, metrics: ProxyMetrics, settings: UpgradeSettings, open: Set<Duplex>, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  if (!isWebSocketUpgrade(req)) return refuseUpgrade(socket, 400);
  layer.judgeUpgrade(req).then(
    ({ outcome, refuse }) => {
      metrics.upgrade(outcome, refuse ? 'refused' : 'forwarded');
      if (refuse) return refuseUpgrade(socket, 403);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      pipeUpgrade(req, socket, head, settings, metrics.upstreamError);
    },
    () => refuseUpgrade(socket, 403), // fail closed
  );
}

/** `/metrics` and `/healthz`, on their own listener so that they never shadow the backend's paths. */
function createAdminServer(registry: Registry, auth: MetricsAuth | undefined, draining: () => boolean): Server {
  const metricsHandler = createMetricsHandler(registry, auth ? { auth } : {});
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') return metricsHandler(req, res);
    if (path === '/healthz') {
      // 503 while draining, so that a load balancer stops sending before the listener goes away.
      res.writeHead(draining() ? 503 : 200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(draining() ? 'draining\n' : 'ok\n');
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
  });
}

/** Node's parser errors (oversized or malformed heads, smuggling attempts) get a 400/431, never a crash. */
function answerParserError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}

/** A UsageError (a TypeError) for the CLI's exit code 2; `createCorsProxy()` callers see a TypeError. */
export function parseUpstream(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`cors-sentinel proxy: --upstream ${JSON.stringify(value)} is not a URL; use http://host:port`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '') {
    throw new UsageError(`cors-sentinel proxy: --upstream must be http(s)://host[:port] without path, query or credentials, got ${JSON.stringify(value)}`);
  }
  return url;
}
