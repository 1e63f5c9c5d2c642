/**
 * Express (4 and 5) and Connect-style middleware: a request translation and a response writer on the
 * port (../port), which decides, records and handles late decisions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsRequest } from '../engine/decision';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';
import { refuseUnroutable } from '../http/routing-path';
import { nodeCorsRequest } from './node-request';
import { nodeResponseWriter } from './node-response';
import { expressMiddleware } from './express-mount-check';

export type NextFunction = (err?: unknown) => void;
export type CorsSentinelMiddleware = ((req: IncomingMessage, res: ServerResponse, next: NextFunction) => void) & Sentinel;

const writer = nodeResponseWriter((_res, next: NextFunction) => next(), { reprototyped: true });

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
  return expressMiddleware(sentinel, (req, res, next) => {
    const request = toCorsRequest(req);
    if (request === undefined) return refuseUnroutable(res); // Express could not route it either: 400 before any handler
    void sentinel.serve(request, res, next, writer);
  });
}

/**
 * The engine's view of an Express request: routes are chosen on the path Express routes on (parseurl's
 * pathname of originalUrl, even under a prefix); undefined for a target it cannot route.
 */
export function toCorsRequest(req: IncomingMessage): CorsRequest | undefined {
  return nodeCorsRequest(req);
}

