/**
 * Express (4 and 5) and Connect-style middleware: a request translation and a response writer on the
 * port (../port), which decides, records and handles late decisions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsRequest } from '../engine/decision';
import type { MetricsHandlerOptions } from '../metrics/handler';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf, routingPath } from './node-request';
import { answerUnroutable, nodeResponseWriter } from './node-response';
import { createExpressMountCheck } from './express-mount-check';

export type NextFunction = (err?: unknown) => void;
export type CorsSentinelMiddleware = ((req: IncomingMessage, res: ServerResponse, next: NextFunction) => void) & Sentinel;

const writer = nodeResponseWriter((_res, next: NextFunction) => next());

/**
 * Validates `options` (throwing a CorsConfigError that lists every problem) and returns the
 * middleware. Mount it before routes and auth so that it answers preflights itself:
 *
 *     const cors = corsSentinel({ origins: ['https://app.example.com'], credentials: true });
 *     app.use(cors);
 *     app.get('/metrics', cors.metricsHandler());
 */
export function corsSentinel(options: CorsSentinelOptions = {}): CorsSentinelMiddleware {
  const sentinel = createSentinel(options);
  const mountCheck = createExpressMountCheck({ logger: sentinel.logger, registry: sentinel.registry, prefix: sentinel.metrics?.prefix });
  function middleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    mountCheck.seen(req, middleware); // warns once when routes were mounted before this middleware
    const request = toCorsRequest(req);
    if (request === undefined) return void answerUnroutable(res);
    void sentinel.serve(request, res, next, writer);
  }
  return Object.assign(middleware, sentinel, { metricsHandler: (o?: MetricsHandlerOptions) => mountCheck.metricsHandler(sentinel.metricsHandler(o), middleware) });
}

/** The engine's view of an Express request: routes are chosen on the path Express routes on (originalUrl, even under a prefix). */
export function toCorsRequest(req: IncomingMessage): CorsRequest | undefined {
  return corsRequestOf(req.method, req.headers, (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', req);
}

/** The path Express routes `req` on. */
export function pathOf(req: IncomingMessage): string | undefined {
  return routingPath((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/');
}
