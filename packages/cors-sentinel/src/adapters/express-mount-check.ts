/**
 * Catches the commonest silent mistake with a CORS middleware: `app.use('/api', router); app.use(cors)`.
 * Requests the router answers never reach cors-sentinel, so browsers get no CORS headers, Express
 * answers preflights itself (200 with `Allow`), and /metrics shows no traffic at all, which looks
 * healthy. Nothing in Express tells a middleware where it was mounted, so on the first request that
 * reaches the middleware (and on every scrape of its metrics handler through the app) this module
 * reads the app's router stack. Routes, routers and sub-apps ahead of the middleware are
 * - logged once as a configuration warning naming them,
 * - published as the gauge `cors_routes_before_middleware` (0 when the order is right), and
 * - from then on, requests with an Origin that leave the server without any cors-sentinel decision
 *   are counted in `cors_undecided_requests_total{request_type}`, which alerts can key on.
 * Express 4 keeps the stack at `app._router.stack`; Express 5 at `app.router.stack` (in Express 4
 * that getter throws). Layers look alike in both: `route` for `app.get(…)`, `handle.stack` for a
 * router, `handle.mountpath` for a sub-app.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type winston from 'winston';
import type { MetricsHandler, MetricsHandlerOptions } from '../metrics/handler';
import { isSameOrigin } from '../origin/same-origin';

interface Layer {
  readonly name?: string;
  readonly handle?: { readonly stack?: unknown; readonly mountpath?: unknown };
  readonly route?: { readonly path?: unknown; readonly methods?: Record<string, boolean>; readonly stack?: readonly Layer[] };
}
interface ExpressLikeApp {
  readonly _router?: { readonly stack?: readonly Layer[] };
  readonly router?: { readonly stack?: readonly Layer[] };
}

/** Requests that some cors-sentinel middleware has seen (decided or observed), across instances. */
const SEEN = new WeakSet<IncomingMessage>();
/** Servers already counting undecided requests, so that two sentinels do not count twice. */
const COUNTING = new WeakSet<Server>();
/** Whether any server counts undecided requests: until then marking requests as seen is skipped (hot path). */
let counting = false;
/** Metrics handlers: a route serving them is expected before the middleware (the README mounts it there). */
const METRICS_HANDLERS = new WeakSet<object>();

export interface MountCheckTarget {
  readonly logger: winston.Logger | undefined;
  readonly registry: Registry | undefined;
  readonly prefix: string | undefined;
}

export interface ExpressMountCheck {
  /** Call first thing in the middleware: marks the request as seen and checks the app once. */
  seen(req: IncomingMessage, middleware: object): void;
  /** Wraps a metrics handler so that each scrape through the app re-checks it. */
  metricsHandler<H extends (req: IncomingMessage, res: ServerResponse) => void>(handler: H, middleware: object): H;
}

export function createExpressMountCheck(target: MountCheckTarget): ExpressMountCheck {
  const metrics = target.registry ? mountMetrics(target.registry, target.prefix ?? 'cors_') : undefined;
  const checkedApps = new WeakMap<object, string>();
  const triedApps = new WeakSet<object>();
  /**
   * The hot path: the request's prototype, compared by identity. Express re-prototypes each request onto
   * its app's own `app.request` (which holds `app`), so the prototype names the app without reading
   * `req.app`: on Express's per-request hidden classes that read is a lookup in V8's runtime (~2,000
   * instructions), `Object.getPrototypeOf` is not.
   */
  let lastPrototype: unknown;

  function check(req: IncomingMessage, middleware: object): void {
    const app = (req as { app?: unknown }).app;
    if (!isObject(app)) return;
    const stack = routerStack(app);
    if (stack === undefined) return;
    const ahead = layersAhead(stack, middleware);
    if (ahead === undefined) return; // mounted elsewhere (another app, or not through Express)
    const summary = ahead.join(', ');
    if (checkedApps.get(app) === summary) return;
    checkedApps.set(app, summary);
    metrics?.routesBefore.set(ahead.length);
    if (ahead.length === 0) return;
    target.logger?.warn('cors-sentinel configuration warning', {
      path: 'express',
      warning:
        `cors-sentinel is mounted after ${ahead.length} route(s) or router(s) that answer without it: ${summary}. ` +
        'Browsers get no CORS headers from them and Express answers their preflights itself. ' +
        'Fix: call app.use(cors) before app.use(router) and app.get(...); a /metrics route may stay before it, ' +
        'and routes browsers never call (health checks) pass through it untouched.',
    });
    const server = (req.socket as { server?: Server } | undefined)?.server;
    if (metrics && server && !COUNTING.has(server)) {
      COUNTING.add(server);
      counting = true;
      server.on('request', (r: IncomingMessage, res: ServerResponse) => countIfUndecided(r, res, metrics.undecided));
    }
  }

  return {
    seen(req, middleware) {
      if (counting) SEEN.add(req);
      const prototype: unknown = Object.getPrototypeOf(req);
      if (prototype === lastPrototype) return;
      lastPrototype = prototype;
      const app = (req as { app?: unknown }).app;
      if (!isObject(app) || triedApps.has(app)) return;
      triedApps.add(app);
      try {
        check(req, middleware);
      } catch {
        // inspecting the framework's internals must never cost a request
      }
    },
    metricsHandler(handler, middleware) {
      const wrapped = ((req: IncomingMessage, res: ServerResponse) => {
        try {
          check(req, middleware);
        } catch {
          // inspecting the framework's internals must never cost a scrape
        }
        handler(req, res);
      }) as typeof handler;
      METRICS_HANDLERS.add(wrapped);
      return wrapped;
    },
  };
}

function mountMetrics(registry: Registry, prefix: string): { routesBefore: Gauge; undecided: Counter<'request_type'> } {
  const routesName = `${prefix}routes_before_middleware`;
  const undecidedName = `${prefix}undecided_requests_total`;
  const routesBefore = (registry.getSingleMetric(routesName) as Gauge | undefined) ?? new Gauge({
    name: routesName, registers: [registry], aggregator: 'max',
    help: 'Express routes, routers and sub-apps mounted before cors-sentinel (they answer without a CORS decision); 0 when the order is right.',
  });
  const undecided = (registry.getSingleMetric(undecidedName) as Counter<'request_type'> | undefined) ?? new Counter({
    name: undecidedName, registers: [registry], labelNames: ['request_type'] as const,
    help: 'Cross-origin requests answered without a cors-sentinel decision, counted once the middleware was found mounted after routes.',
  });
  return { routesBefore, undecided };
}

function isObject<T = ExpressLikeApp>(value: unknown): value is T {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function routerStack(app: ExpressLikeApp): readonly Layer[] | undefined {
  if (app._router) return app._router.stack; // Express 4
  try {
    return app.router?.stack; // Express 5
  } catch {
    return undefined; // Express 4 before its first app.use(): the `app.router` getter throws
  }
}

/** Descriptions of the layers that answer requests ahead of `middleware`, or undefined if it is not in this stack. */
function layersAhead(stack: readonly Layer[], middleware: object, depth = 0): string[] | undefined {
  const ahead: string[] = [];
  if (!Array.isArray(stack)) return undefined;
  for (const layer of stack) {
    if (!isObject<Layer>(layer)) continue;
    if (layer.handle === middleware) return ahead;
    const nested = layer.handle?.stack;
    if (Array.isArray(nested) && depth < 4) {
      // The middleware inside a router: what precedes it there precedes it too.
      const inner = layersAhead(nested as Layer[], middleware, depth + 1);
      if (inner !== undefined) return [...ahead, ...inner];
    }
    const described = describeLayer(layer);
    if (described !== undefined) ahead.push(described);
  }
  return undefined;
}

/**
 * A GET (or HEAD) route at exactly `/metrics`, whatever serves it (your own prom-client registry too):
 * Prometheus scrapes it, browsers never call it cross-origin, so ahead of the middleware it is fine.
 */
function isScrapeRoute(routePath: unknown, methods: readonly string[]): boolean {
  return routePath === '/metrics' && methods.length > 0 && methods.every((m) => m === 'GET' || m === 'HEAD');
}

function describeLayer(layer: Layer): string | undefined {
  if (layer.route) {
    if ((layer.route.stack ?? []).some((l) => l.handle !== undefined && METRICS_HANDLERS.has(l.handle))) return undefined;
    const methods = Object.keys(layer.route.methods ?? {}).filter((m) => m !== '_all').map((m) => m.toUpperCase());
    if (isScrapeRoute(layer.route.path, methods)) return undefined;
    return `${methods.join('/') || 'ALL'} ${String(layer.route.path)}`;
  }
  const handle = layer.handle;
  if (handle && Array.isArray(handle.stack)) {
    const paths = [...new Set((handle.stack as Layer[]).flatMap((l) => (isObject<Layer>(l) && l.route ? [String(l.route.path)] : [])))].slice(0, 3);
    return `a router${paths.length ? ` (routes ${paths.join(', ')})` : ''}`;
  }
  if (handle && typeof handle.mountpath === 'string') return `a sub-app at ${handle.mountpath}`;
  return undefined; // ordinary middleware (body parsers, loggers) passes requests on
}

function countIfUndecided(req: IncomingMessage, res: ServerResponse, undecided: Counter<'request_type'>): void {
  const origin = req.headers.origin;
  if (origin === undefined || isSameOrigin(origin, req.headers.host)) return;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  res.once('finish', () => {
    if (!SEEN.has(req)) undecided.inc({ request_type: preflight ? 'preflight' : 'actual' });
  });
}

type ExpressHandle = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** What the Express middleware is made of: a sentinel or an observer. */
export interface MountCheckedOwner {
  readonly logger: winston.Logger | undefined;
  readonly registry: Registry | undefined;
  readonly metrics: { readonly prefix: string } | undefined;
  metricsHandler(options?: MetricsHandlerOptions): MetricsHandler;
}

/**
 * `owner` as Express middleware: each request is checked for where the middleware was mounted before
 * `handle` runs, and the `metricsHandler()` it hands out re-checks the app on each scrape.
 */
export function expressMiddleware<O extends MountCheckedOwner>(owner: O, handle: ExpressHandle): ExpressHandle & O {
  const mountCheck = createExpressMountCheck({ logger: owner.logger, registry: owner.registry, prefix: owner.metrics?.prefix });
  function middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    mountCheck.seen(req, middleware); // warns once when routes were mounted before this middleware
    handle(req, res, next);
  }
  return Object.assign(middleware, owner, { metricsHandler: (o?: MetricsHandlerOptions) => mountCheck.metricsHandler(owner.metricsHandler(o), middleware) });
}
