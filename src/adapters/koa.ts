/**
 * Koa 3 middleware (`cors-sentinel/koa`). Mount it first: it answers preflights itself and sets the
 * headers of actual requests before the rest of the chain runs.
 *
 *     const cors = koaCorsSentinel({ origins: ['https://app.example.com'], credentials: true });
 *     app.use(cors);
 *
 * When a later middleware throws, Koa's `ctx.onerror` removes every header and then sets the error's
 * own `err.headers`. Like `@koa/cors` with `keepHeadersOnError`, the middleware merges the headers its
 * decision wrote for this request into `err.headers` and rethrows the same error (status, `expose`,
 * message untouched), so a browser can read an allowed origin's 500 or 404 (see keepCorsHeaders).
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Decision } from '../engine/decision';
import type { CorsSentinelOptions } from '../policy/options';
import type { ResponseWriter } from '../port';
import { createObserver, type CorsObserverOptions, type Observer } from '../observer/observer';
import { observeResponse } from '../observer/middleware';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf, routingPath } from './node-request';
import { answerUnroutable, nodeResponseWriter } from './node-response';
import { keepCorsHeaders } from './koa-error-headers';

/** What the middleware reads of Koa's Context (declared structurally: no dependency on Koa's types). */
export interface KoaContextLike {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The target as received, even under koa-mount (which rewrites `path`). */
  readonly originalUrl: string;
  readonly res: ServerResponse;
}
export type KoaNext = () => Promise<unknown>;
export type KoaCorsSentinelMiddleware = ((ctx: KoaContextLike, next: KoaNext) => Promise<unknown>) & Sentinel;

/** The decision whose headers were written on a response: the only headers the error path may keep. */
const APPLIED = Symbol('cors-sentinel.applied');
type AppliedResponse = ServerResponse & { [APPLIED]?: Decision };
const nodeWriter = nodeResponseWriter((_res, next: KoaNext) => next());
const writer: ResponseWriter<AppliedResponse, KoaNext, Promise<unknown>> = {
  ...nodeWriter,
  writeHeaders(res, d) {
    nodeWriter.writeHeaders(res, d);
    res[APPLIED] = d;
  },
};

/** Validates `options` (throwing a CorsConfigError that lists every problem) and returns the middleware. */
export function koaCorsSentinel(options: CorsSentinelOptions = {}): KoaCorsSentinelMiddleware {
  const sentinel = createSentinel(options);
  async function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    try {
      // Koa's ctx.path is parseurl's pathname of the same target: routingPath() computes it alike.
      const request = corsRequestOf(ctx.method, ctx.headers, ctx.originalUrl, ctx);
      if (request === undefined) return answerUnroutable(ctx.res);
      return await sentinel.serve(request, ctx.res, next, writer);
    } catch (err) {
      if (keepCorsHeaders(err, (ctx.res as AppliedResponse)[APPLIED]) && ctx.headers.origin !== undefined) {
        sentinel.reportFinding('acao_already_set', { origin: ctx.headers.origin, path: routingPath(ctx.originalUrl) ?? '' });
      }
      throw err;
    }
  }
  return Object.assign(middleware, sentinel);
}

export type KoaCorsObserverMiddleware = ((ctx: KoaContextLike, next: KoaNext) => Promise<unknown>) & Observer;

/** Observer mode for Koa: mount it before the CORS layer it audits; it never changes a response. */
export function koaCorsObserver(options: CorsObserverOptions = {}): KoaCorsObserverMiddleware {
  const observer = createObserver(options);
  function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    const request = corsRequestOf(ctx.method, ctx.headers, ctx.originalUrl, ctx);
    // Koa's own ctx.path throws on such a target (a 500 with a stack trace): answered first, like enforce mode.
    if (request === undefined) return Promise.resolve(answerUnroutable(ctx.res));
    observeResponse(observer, request, ctx.res);
    return next();
  }
  return Object.assign(middleware, observer);
}
