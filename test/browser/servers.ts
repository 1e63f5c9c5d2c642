/** Loopback servers of the browser suite: pages on many origins, and APIs that log the wire. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { parseMetrics, type Metrics } from './metrics';


export interface Listening {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  // Chromium keeps connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves the same empty HTML page under every host name, so `http://<any>.test:PORT/` is a page of
 * origin `http://<any>.test:PORT`. The empty icon keeps Chromium from asking for /favicon.ico.
 */
export interface PageServer extends Listening {
  /** `http://${host}:${port}`: the origin of pages served for that host name. */
  origin(host: string): string;
}

export async function startPageServer(): Promise<PageServer> {
  const l = await listen((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('<!doctype html><html><head><link rel="icon" href="data:,"><title>page</title></head><body></body></html>');
  });
  return { ...l, origin: (host: string) => `http://${host}:${l.port}` };
}

/** One request as it arrived at the API server, before any CORS middleware saw it. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly cookie: string | undefined;
  readonly accessControlRequestMethod: string | undefined;
  readonly accessControlRequestHeaders: string | undefined;
  readonly accessControlRequestPrivateNetwork: string | undefined;
  /** Fetch Metadata: where the browser says the request comes from. */
  readonly secFetchSite: string | undefined;
}

/** The requests the API received: counts what actually went over the wire. */
export class WireLog {
  readonly requests: WireRequest[] = [];

  /** Requests with this method (and path, if given). */
  count(method: string, path?: string): number {
    return this.requests.filter((r) => r.method === method && (path === undefined || r.path === path)).length;
  }

  /** CORS preflights: OPTIONS with Access-Control-Request-Method. */
  preflights(path?: string): number {
    return this.requests.filter((r) => r.method === 'OPTIONS' && r.accessControlRequestMethod !== undefined && (path === undefined || r.path === path)).length;
  }

  /** `METHOD /path` lines in arrival order, for exact sequence assertions. */
  lines(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

export interface ApiServer extends Listening {
  readonly wire: WireLog;
  /** `http://${host}:${port}`: the API as seen under that host name. */
  url(host: string): string;
  /** Scrapes `/metrics` over HTTP, as Prometheus would. */
  scrape(): Promise<Metrics>;
}

export interface ApiOptions {
  /** Mounted first: a `/metrics` handler (e.g. `cors.metricsHandler()`); it is not logged on the wire. */
  metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Installs the CORS layer(s) under test and the routes. Runs after the wire counter. */
  setup(app: express.Express): void;
}

/**
 * An Express API: `/metrics` (if given), then the wire counter, then whatever `setup` installs.
 * The counter sits before the CORS layer, so it sees every request the browser sent, including
 * preflights that the CORS layer answers itself.
 */
export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const wire = new WireLog();
  if (options.metricsHandler) {
    const handler = options.metricsHandler;
    app.get('/metrics', (req, res) => handler(req, res));
  }
  app.use((req, _res, next) => {
    const h = req.headers;
    wire.requests.push({
      method: req.method,
      path: req.path,
      origin: h.origin,
      cookie: h.cookie,
      accessControlRequestMethod: one(h['access-control-request-method']),
      accessControlRequestHeaders: one(h['access-control-request-headers']),
      accessControlRequestPrivateNetwork: one(h['access-control-request-private-network']),
      secFetchSite: one(h['sec-fetch-site']),
    });
    next();
  });
  options.setup(app);
  const l = await listen(app);
  return {
    ...l,
    wire,
    url: (host: string) => `http://${host}:${l.port}`,
    async scrape() {
      if (!options.metricsHandler) throw new Error('this API serves no /metrics');
      const res = await fetch(`http://127.0.0.1:${l.port}/metrics`);
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return parseMetrics(await res.text());
    },
  };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** Standard demo routes: items (GET, PUT, DELETE, POST) that echo what the server received. */
export function demoRoutes(app: express.Express): void {
  app.use(express.json());
  const echo = (req: express.Request, res: express.Response): void => {
    res.setHeader('X-Request-Id', 'req-42');
    res.setHeader('X-Total-Count', '3');
    res.json({ method: req.method, path: req.path, cookie: req.headers.cookie ?? null, body: req.body ?? null });
  };
  app.get('/api/items', echo);
  app.get('/api/items/:id', echo);
  app.put('/api/items/:id', echo);
  app.delete('/api/items/:id', echo);
  app.post('/api/events', echo);
  app.get('/api/profile', echo);
  // Sets the session cookie when the API itself is the top-level page (a first-party response).
  app.get('/login', (_req, res) => {
    res.setHeader('Set-Cookie', 'sid=s3cret; Path=/; HttpOnly; SameSite=Lax');
    res.type('html').send('<!doctype html><link rel="icon" href="data:,"><p>logged in</p>');
  });
}
