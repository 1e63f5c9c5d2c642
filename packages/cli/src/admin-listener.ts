/**
 * The admin listener of the long-running commands (`proxy`, `logs`): `/metrics` behind the metrics
 * bearer token, `/healthz` answered from the command's own health check, 404 for anything else, and
 * 400 for a target no path can be read from (the routing-path contract), so that `/%2e%2e/metrics` or
 * `//metrics` never reach a handler under another name. It listens on its own port so that it never
 * shadows the paths of the traffic the command watches.
 */
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { nodeRoutingPath, refuseUnroutable } from 'cors-sentinel/internal/http/routing-path';
import { createMetricsHandler, type MetricsAuth } from 'cors-sentinel/internal/metrics/handler';

/** What `/healthz` says: 200 `ok`, or 503 with the reason as its body. */
export type AdminHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface AdminListenerOptions {
  readonly registry: Registry;
  /** The bearer token `/metrics` requires (METRICS_BEARER_TOKEN); none: open. */
  readonly auth?: MetricsAuth | undefined;
  readonly health: () => AdminHealth;
  /** Headers added to the `/healthz` answers (the proxy's say `cache-control: no-store`). */
  readonly healthHeaders?: OutgoingHttpHeaders;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

export function createAdminListener(options: AdminListenerOptions): Server {
  const metrics = createMetricsHandler(options.registry, options.auth ? { auth: options.auth } : {});
  const healthHeaders = { ...TEXT, ...options.healthHeaders };
  return createServer((req, res) => {
    const path = nodeRoutingPath(req.url ?? '/');
    if (path === undefined) return refuseUnroutable(res);
    if (path === '/metrics') return metrics(req, res);
    if (path !== '/healthz') return void res.writeHead(404, TEXT).end('Not Found\n');
    const health = options.health();
    res.writeHead(health.ok ? 200 : 503, healthHeaders).end(health.ok ? 'ok\n' : `${health.reason}\n`);
  });
}
