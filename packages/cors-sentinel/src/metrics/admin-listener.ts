/**
 * The one admin listener: a node:http server on a port of its own (so that it never shadows the paths
 * of the traffic it watches) that reads each request's path by the routing-path contract and answers
 * from the route of exactly that path. A target no path can be read from is refused (400 by default),
 * so that `/%2e%2e/metrics` or `//metrics` never reach a route under another name; any other path gets
 * the not-found answer. Used by `serveMetrics`, the cluster primary and, through
 * `cors-sentinel/internal/metrics/admin-listener`, the CLI's proxy, log reader and probe exporter; each
 * keeps its own routes and answers.
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { nodeRoutingPath, refuseUnroutable } from '../http/routing-path';

/** Answers one request; `path` is its routing path (query and fragment left out). */
export type AdminRoute = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export interface AdminListenerOptions {
  /** The routes, by exact routing path (`/metrics`, `/healthz`, …). */
  readonly routes: Readonly<Record<string, AdminRoute>>;
  /** Any other path. Default: 404 `Not Found`. */
  readonly notFound?: AdminRoute;
  /** A target no path can be read from (`GET http://[`). Default: 400 with an empty body. */
  readonly unroutable?: (req: IncomingMessage, res: ServerResponse) => void;
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

/** 404 `Not Found` as plain text. */
export const notFoundText: AdminRoute = (_req, res) => void res.writeHead(404, TEXT).end('Not Found\n');

export function createAdminListener(options: AdminListenerOptions): Server {
  const routes = new Map(Object.entries(options.routes));
  const notFound = options.notFound ?? notFoundText;
  const unroutable = options.unroutable ?? ((_req: IncomingMessage, res: ServerResponse) => refuseUnroutable(res));
  return createServer((req, res) => {
    const path = nodeRoutingPath(req.url ?? '/');
    if (path === undefined) return unroutable(req, res);
    (routes.get(path) ?? notFound)(req, res, path);
  });
}

/** What `/healthz` says: 200 `ok`, or 503 with the reason as its body. */
export type AdminHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** `/healthz` answered from `health()`, with `headers` added to both answers. */
export function healthRoute(health: () => AdminHealth, headers: OutgoingHttpHeaders = {}): AdminRoute {
  const answerHeaders = { ...TEXT, ...headers };
  return (_req, res) => {
    const state = health();
    res.writeHead(state.ok ? 200 : 503, answerHeaders).end(state.ok ? 'ok\n' : `${state.reason}\n`);
  };
}

/** Listens on `host:port` (default 127.0.0.1); on failure rejects with the listen error and keeps no handler. */
export function listenOn(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops listening and resolves once the open connections are gone (at once when it never listened). */
export function closeAdmin(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}
