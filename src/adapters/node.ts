/**
 * The node:http entry point: wraps a plain request listener so that CORS is decided (and preflights
 * answered) before the listener runs. The same engine and recorder as the Express middleware.
 *
 *     const handler = corsSentinelHandler({ origins: ['https://app.example.com'] }, (req, res) => { ... });
 *     http.createServer(handler).listen(8080);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsSentinelOptions } from '../policy/options';
import type { Sentinel } from '../sentinel';
import { corsSentinel } from './express';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
export type CorsSentinelHandler = RequestListener & Sentinel;

/** Validates `options` (throwing a CorsConfigError that lists every problem) and returns the wrapped listener. */
export function corsSentinelHandler(options: CorsSentinelOptions, listener: RequestListener): CorsSentinelHandler {
  const middleware = corsSentinel(options);
  function handler(req: IncomingMessage, res: ServerResponse): void {
    // The middleware calls next() only when the request goes on to the application.
    middleware(req, res, () => listener(req, res));
  }
  return Object.assign(handler, middleware);
}
