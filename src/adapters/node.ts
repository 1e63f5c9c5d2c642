/**
 * The node:http entry point: wraps a plain request listener so that CORS is decided (and preflights
 * answered) before the listener runs. The same port as every other adapter.
 *
 *     const handler = corsSentinelHandler({ origins: ['https://app.example.com'] }, (req, res) => { ... });
 *     http.createServer(handler).listen(8080);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf } from './node-request';
import { answerUnroutable, nodeResponseWriter } from './node-response';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
export type CorsSentinelHandler = RequestListener & Sentinel;

/** Validates `options` (throwing a CorsConfigError that lists every problem) and returns the wrapped listener. */
export function corsSentinelHandler(options: CorsSentinelOptions, listener: RequestListener): CorsSentinelHandler {
  const sentinel = createSentinel(options);
  const writer = nodeResponseWriter((res, req: IncomingMessage) => listener(req, res));
  function handler(req: IncomingMessage, res: ServerResponse): void {
    const request = corsRequestOf(req.method, req.headers, req.url ?? '/', req);
    if (request === undefined) return void answerUnroutable(res);
    void sentinel.serve(request, res, req, writer);
  }
  return Object.assign(handler, sentinel);
}
