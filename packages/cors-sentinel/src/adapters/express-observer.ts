/**
 * `corsObserver()`: Express / Connect middleware that audits an existing CORS layer without changing
 * a byte of any response. Mount it before that layer (the `cors` package, hand-set headers, or nothing
 * when a proxy adds them): it reads the response headers when they are about to be written — which
 * also catches preflights that the other layer answers and ends itself — and records them in the
 * same metric contract as enforce mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import onHeaders from 'on-headers';
import type { NextFunction } from './express';
import { nodeCorsRequest } from './node-request';
import { expressMiddleware } from './express-mount-check';
import type { CorsRequest } from '../engine/decision';
import { createObserver, type CorsObserverOptions, type Observer } from '../observer/observer';

/**
 * Starts observing a request and audits its response when the headers are about to be written:
 * shared by the Express, Fastify and Koa observers (all write through Node's ServerResponse).
 * Never throws: an observer must not stand in the way of a request.
 */
export function observeResponse(observer: Observer, request: () => CorsRequest, res: ServerResponse): void {
  let observation;
  try {
    const r = request();
    observation = observer.begin(r, r.origin);
  } catch {
    return;
  }
  onHeaders(res, function onWrite(this: ServerResponse) {
    // Read only: the listener runs inside writeHead and must leave status and headers untouched.
    observation.complete({ status: this.statusCode, header: (name) => this.getHeader(name) });
  });
}

export type CorsObserverMiddleware = ((req: IncomingMessage, res: ServerResponse, next: NextFunction) => void) & Observer;

/**
 * Validates `options` (throwing a CorsConfigError that lists every problem) and returns the middleware:
 *
 *     const observer = corsObserver({ expectedOrigins: ['https://app.example.com'] });
 *     app.use(observer);
 *     app.use(cors({ origin: ['https://app.example.com'], credentials: true }));
 *     app.get('/metrics', observer.metricsHandler());
 */
export function corsObserver(options: CorsObserverOptions = {}): CorsObserverMiddleware {
  const observer = createObserver(options);
  return expressMiddleware(observer, (req, res, next) => {
    const request = nodeCorsRequest(req);
    // Observer mode changes no response: a target the framework cannot route is left to it, unobserved.
    if (request !== undefined) observeResponse(observer, () => request, res);
    next();
  });
}
