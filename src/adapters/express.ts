/**
 * Express (4 and 5) and Connect-style middleware: a request translation and a response writer on the
 * port (../port), which decides, records and handles late decisions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf } from './node-request';
import { nodeResponseWriter } from './node-response';

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
  function middleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    // Routes are chosen on the path Express routes on: originalUrl even when mounted under a prefix.
    const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    void sentinel.serve(corsRequestOf(req.method, req.headers, target, req), res, next, writer);
  }
  return Object.assign(middleware, sentinel);
}
