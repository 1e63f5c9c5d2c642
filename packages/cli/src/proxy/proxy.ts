/**
 * `createCorsProxy()`: the sidecar reverse proxy. A CORS layer (enforce or observe) in front of an
 * undici keep-alive pool to one upstream, an admin listener with `/metrics` and `/healthz`, and a
 * graceful shutdown that stops accepting and drains what is in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Registry } from 'prom-client';
import { Pool } from 'undici';
import { closeAdmin, createAdminListener, healthRoute } from 'cors-sentinel/internal/metrics/admin-listener';
import { createMetricsHandler, type MetricsAuth } from 'cors-sentinel/internal/metrics/handler';
import { ProblemCollector } from 'cors-sentinel/internal/policy/errors';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';
import { UsageError } from '../cli-args';
import { backendReader, type BackendProfileOption } from './backend-profile';
import { ClientLimiter, UpstreamSlots } from './admission';
import { forward, refuse, type ForwardSettings } from './forward';
import { createCorsLayer, type CorsLayer, type ProxyMode } from './layer';
import { isOriginForm } from './headers';
import { createProxyMetrics, type ProxyMetrics } from './metrics';
import { isWebSocketUpgrade, pipeUpgrade, refuseUpgrade, type UpgradeSettings } from './websocket';

/** The defaults of the options below (nginx-like limits for a sidecar); the CLI shows and uses the same. */
export const PROXY_DEFAULTS = {
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  upstreamConnections: 64,
  upstreamQueueTimeoutMs: 10_000,
  upstreamQueueLength: 1024,
  clientBodyBufferBytes: 1024 * 1024,
  clientBodyTimeoutMs: 10_000,
  clientBodyMinBytesPerSecond: 1024,
  maxRequestsPerClient: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  drainTimeoutMs: 25_000,
} as const;

export interface CorsProxyOptions {
  /** `http://host:port` (or https) of the backend. */
  readonly upstream: string;
  readonly policy: CorsSentinelOptions;
  /** Default `enforce`. */
  readonly mode?: ProxyMode;
  /**
   * How the backend reads a request target before routing it (./backend-profile, docs/proxy.md): a
   * preset (`werkzeug`, the default; `django`, `rails`, `go`, `nginx`, `strict`) or a preset with
   * settings changed. The CORS route, tenant and bypass are chosen on that path.
   */
  readonly backend?: BackendProfileOption;
  /** Time to open an upstream connection. Default 5 000 ms (then 504). */
  readonly connectTimeoutMs?: number;
  /** Time from sending the request to the backend's response head. Default 60 000 ms (then 504). */
  readonly responseTimeoutMs?: number;
  /** Longest silence while the backend's response body streams. Default 60 000 ms (then the connection is cut). */
  readonly bodyTimeoutMs?: number;
  /** Keep-alive connections to the upstream. Default 64. */
  readonly upstreamConnections?: number;
  /** Longest wait for a free upstream connection, then 503. Default 10 000 ms. */
  readonly upstreamQueueTimeoutMs?: number;
  /** Requests that may wait for an upstream connection at once; beyond it 503 at once. Default 1 024. */
  readonly upstreamQueueLength?: number;
  /** Request bodies up to this size are read completely before an upstream connection is taken. Default 1 MiB. */
  readonly clientBodyBufferBytes?: number;
  /** Longest silence in a client's request body, and the grace before the minimum rate applies. Default 10 000 ms (then 408). */
  readonly clientBodyTimeoutMs?: number;
  /** Minimum average rate of a client's request body after the grace period. Default 1 024 B/s (0: none; then 408). */
  readonly clientBodyMinBytesPerSecond?: number;
  /** Requests in flight per client address (0: no cap). Default 64; behind a load balancer every client shares its address. */
  readonly maxRequestsPerClient?: number;
  /** Time to receive a request's head (slowloris), then 408. Default 10 000 ms. */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request, body included, then 408. Default 300 000 ms (0: none). */
  readonly requestTimeoutMs?: number;
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

/** Limits where 0 means "none" (or an empty queue); every other limit must be at least 1. */
const ZERO_ALLOWED: ReadonlySet<keyof typeof PROXY_DEFAULTS> = new Set(['requestTimeoutMs', 'clientBodyMinBytesPerSecond', 'maxRequestsPerClient', 'upstreamQueueLength']);

/** Refuses limits that would wedge the proxy (0 upstream connections, a negative timeout), all at once. */
function checkLimits(options: CorsProxyOptions): void {
  const problems = new ProblemCollector();
  for (const key of Object.keys(PROXY_DEFAULTS) as Array<keyof typeof PROXY_DEFAULTS>) {
    const value: unknown = options[key];
    const min = ZERO_ALLOWED.has(key) ? 0 : 1;
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= min)) {
      problems.add(key, 'invalid_number', `expected a whole number ≥ ${min} (default ${PROXY_DEFAULTS[key]}), got ${JSON.stringify(value)}`);
    }
  }
  problems.throwIfAny();
}

export function createCorsProxy(options: CorsProxyOptions): CorsProxy {
  checkLimits(options);
  const upstream = parseUpstream(options.upstream);
  const registry = options.policy.metrics && options.policy.metrics.registry ? options.policy.metrics.registry : new Registry();
  const layer = createCorsLayer(options.mode ?? 'enforce', options.policy, registry, backendReader(options.backend));
  const metrics = createProxyMetrics(layer.registry, layer.prefix);
  const connectTimeout = options.connectTimeoutMs ?? PROXY_DEFAULTS.connectTimeoutMs;
  const connections = options.upstreamConnections ?? PROXY_DEFAULTS.upstreamConnections;
  const pool = new Pool(upstream.origin, { connections, connect: { timeout: connectTimeout }, pipelining: 1 });
  const settings = forwardSettings(options, connections);
  const clients = new ClientLimiter(options.maxRequestsPerClient ?? PROXY_DEFAULTS.maxRequestsPerClient);
  let draining = false;
  const inFlight = new InFlight();
  const upgraded = new Set<Duplex>();
  const hooks = (req: IncomingMessage) => ({
    keepResponseHeader: layer.keepResponseHeader,
    responseStarted: (dropped: readonly string[]) => layer.responseStarted(req, dropped),
    upstreamError: metrics.upstreamError,
    refused: metrics.refused,
    get draining() {
      return draining;
    },
  });

  const server = createServer(listenerTimeouts(options), (req: IncomingMessage, res: ServerResponse) => {
    inFlight.track(res);
    if (draining) res.setHeader('connection', 'close');
    const address = req.socket.remoteAddress ?? '';
    if (!clients.enter(address)) return refuse(res, metrics, 'client_limit');
    res.once('close', () => clients.leave(address));
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

  const admin = createAdminListener({
    routes: {
      '/metrics': createMetricsHandler(layer.registry, options.metricsAuth ? { auth: options.metricsAuth } : {}),
      // 503 while draining, so that a load balancer stops sending before the listener goes away.
      '/healthz': healthRoute(() => (draining ? { ok: false, reason: 'draining' } : { ok: true }), { 'cache-control': 'no-store' }),
    },
  });

  async function shutdown(): Promise<void> {
    if (draining) return;
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = inFlight.idle();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, options.drainTimeoutMs ?? PROXY_DEFAULTS.drainTimeoutMs).unref());
    await Promise.race([drained, deadline]);
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
    await closed;
    await pool.close().catch(() => pool.destroy());
    layer.close();
    await closeAdmin(admin);
  }

  return { registry: layer.registry, server, admin, shutdown };
}

function forwardSettings(options: CorsProxyOptions, connections: number): ForwardSettings {
  return {
    headersTimeoutMs: options.responseTimeoutMs ?? PROXY_DEFAULTS.responseTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs ?? PROXY_DEFAULTS.bodyTimeoutMs,
    clientBody: {
      bufferBytes: options.clientBodyBufferBytes ?? PROXY_DEFAULTS.clientBodyBufferBytes,
      idleTimeoutMs: options.clientBodyTimeoutMs ?? PROXY_DEFAULTS.clientBodyTimeoutMs,
      minBytesPerSecond: options.clientBodyMinBytesPerSecond ?? PROXY_DEFAULTS.clientBodyMinBytesPerSecond,
    },
    slots: new UpstreamSlots(connections, options.upstreamQueueTimeoutMs ?? PROXY_DEFAULTS.upstreamQueueTimeoutMs, options.upstreamQueueLength ?? PROXY_DEFAULTS.upstreamQueueLength),
  };
}

/**
 * Node's own limits on the client side, set on purpose rather than inherited: a head must arrive
 * within `headersTimeoutMs` and a whole request within `requestTimeoutMs` (408 otherwise), checked
 * every second instead of Node's default 30 s, so that slowloris connections do not pile up.
 */
function listenerTimeouts(options: CorsProxyOptions): ServerOptions {
  const headersTimeout = options.headersTimeoutMs ?? PROXY_DEFAULTS.headersTimeoutMs;
  const requestTimeout = options.requestTimeoutMs ?? PROXY_DEFAULTS.requestTimeoutMs;
  return { headersTimeout, requestTimeout: requestTimeout === 0 ? 0 : Math.max(requestTimeout, headersTimeout), connectionsCheckingInterval: Math.min(1_000, headersTimeout) };
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
  // The same origin-form rule as plain requests: the head is replayed upstream with this target.
  if (!isWebSocketUpgrade(req) || !isOriginForm(req.url ?? '')) return refuseUpgrade(socket, 400);
  layer.judgeUpgrade(req).then(
    ({ outcome, refuse, status }) => {
      metrics.upgrade(outcome, refuse ? 'refused' : 'forwarded');
      if (refuse) return refuseUpgrade(socket, status ?? 403);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      pipeUpgrade(req, socket, head, settings, metrics.upstreamError);
    },
    () => refuseUpgrade(socket, 403), // fail closed
  );
}

/**
 * Node's parser errors (oversized or malformed heads, smuggling attempts) get a 400/431, and a head or
 * request that did not arrive within its timeout (slowloris) a 408 — never a crash.
 */
function answerParserError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
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
