/**
 * Koa 3 middleware (`cors-sentinel/koa`). Mount it first: it answers preflights itself and sets the
 * headers of actual requests before the rest of the chain runs.
 *
 *     const cors = koaCorsSentinel({ origins: ['https://app.example.com'], credentials: true });
 *     app.use(cors);
 *
 * Koa's default error handler removes every header when a later middleware throws (like `@koa/cors`
 * without `keepHeadersOnError`): error responses carry no CORS headers, so scripts cannot read them.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { CorsSentinelOptions } from '../policy/options';
import { createObserver, type CorsObserverOptions, type Observer } from '../observer/observer';
import { observeResponse } from '../observer/middleware';
import { createSentinel, type Sentinel } from '../sentinel';
import { corsRequestOf } from './node-request';
import { nodeResponseWriter } from './node-response';

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

const writer = nodeResponseWriter((_res, next: KoaNext) => next());

/** Validates `options` (throwing a CorsConfigError that lists every problem) and returns the middleware. */
export function koaCorsSentinel(options: CorsSentinelOptions = {}): KoaCorsSentinelMiddleware {
  const sentinel = createSentinel(options);
  async function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    // Koa's ctx.path is parseurl's pathname of the same target: routingPath() computes it alike.
    return sentinel.serve(corsRequestOf(ctx.method, ctx.headers, ctx.originalUrl, ctx), ctx.res, next, writer);
  }
  return Object.assign(middleware, sentinel);
}


export type KoaCorsObserverMiddleware = ((ctx: KoaContextLike, next: KoaNext) => Promise<unknown>) & Observer;

/** Observer mode for Koa: mount it before the CORS layer it audits; it never changes a response. */
export function koaCorsObserver(options: CorsObserverOptions = {}): KoaCorsObserverMiddleware {
  const observer = createObserver(options);
  function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    observeResponse(observer, () => corsRequestOf(ctx.method, ctx.headers, ctx.originalUrl, ctx), ctx.res);
    return next();
  }
  return Object.assign(middleware, observer);
}
