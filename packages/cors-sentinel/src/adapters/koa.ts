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
import type { Connection, Decision } from '../engine/decision';
import type { CorsSentinelOptions } from '../policy/options';
import type { ResponseWriter } from '../port';
import { createObserver, type CorsObserverOptions, type Observer } from '../observer/observer';
import { observeResponse } from './express-observer';
import { createSentinel, type Sentinel } from '../sentinel';
import { nodeRoutingPath, refuseUnroutable } from '../http/routing-path';
import { corsRequestOf } from './node-request';
import { nodeResponseWriter } from './node-response';
import { keepCorsHeaders } from './koa-error-headers';

/** What the middleware reads of Koa's Context (declared structurally: no dependency on Koa's types). */
export interface KoaContextLike {
  /** The target as received, even under koa-mount (which rewrites `path`). */
  readonly originalUrl: string;
  readonly res: ServerResponse;
  /**
   * Koa's `ctx.req`: the middleware reads its method and headers directly (Koa's `ctx.method` and
   * `ctx.headers` are getters over it).
   */
  readonly req: { readonly method?: string | undefined; readonly headers: IncomingHttpHeaders };
  /** The connection (Koa's getter over `ctx.req.socket`), read only when its scheme or `localServer` port is needed. */
  readonly socket?: Connection | null;
}
export type KoaNext = () => Promise<unknown>;
export type KoaCorsSentinelMiddleware = ((ctx: KoaContextLike, next: KoaNext) => Promise<unknown>) & Sentinel;

/** What the Koa writer hands on with a request: Koa's `next`, and what its error path needs. */
interface KoaHandoff {
  readonly next: KoaNext;
  readonly ctx: KoaContextLike;
  readonly path: string;
}

/** Validates `options` (throwing a CorsConfigError that lists every problem) and returns the middleware. */
export function koaCorsSentinel(options: CorsSentinelOptions = {}): KoaCorsSentinelMiddleware {
  const sentinel = createSentinel(options);
  /**
   * The error path: the headers of the decision written for this request kept on the error Koa
   * answers with, then the same error rethrown. The decision comes with the request handed on (the
   * port passes it to `pass`), not stored on the response: a property added to the responses that are
   * passed on and not to preflights gives Node's response code two hidden classes (~800 instructions
   * per preflight, callgrind, Node 22), and a WeakMap entry per request costs about as much (issue #32).
   */
  function keepHeadersOf(h: KoaHandoff, d: Decision | undefined, err: unknown): never {
    const origin = h.ctx.req.headers.origin;
    if (keepCorsHeaders(err, d) && origin !== undefined) sentinel.reportFinding('acao_already_set', { origin, path: h.path });
    throw err;
  }
  const writer: ResponseWriter<ServerResponse, KoaHandoff, Promise<unknown>> = {
    ...nodeResponseWriter((_res, h: KoaHandoff) => h.next()),
    pass(_res, h, d) {
      let out: Promise<unknown>;
      try {
        out = h.next();
      } catch (err) {
        return new Promise<never>(() => keepHeadersOf(h, d, err)); // a next() that threw: rejected, as from an async function
      }
      return out.catch((err: unknown) => keepHeadersOf(h, d, err));
    },
  };
  // Not an async function: a preflight answered here returns an already settled promise instead of
  // waiting a microtask for `await undefined`, and a passed request returns next()'s own promise with
  // only the rejection handler attached.
  function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    // Koa's ctx.path is parseurl's pathname of the same target (ctx.path throws where this is undefined):
    // a target Koa cannot route gets 400 here instead of a 500 with a stack trace further down.
    const path = nodeRoutingPath(ctx.originalUrl);
    if (path === undefined) return Promise.resolve(refuseUnroutable(ctx.res));
    const req = ctx.req;
    const out = sentinel.serve(corsRequestOf(req.method, req.headers, ctx.originalUrl, ctx, path), ctx.res, { next, ctx, path }, writer);
    return out instanceof Promise ? out : Promise.resolve(out);
  }
  return Object.assign(middleware, sentinel);
}

export type KoaCorsObserverMiddleware = ((ctx: KoaContextLike, next: KoaNext) => Promise<unknown>) & Observer;

/** Observer mode for Koa: mount it before the CORS layer it audits; it never changes a response. */
export function koaCorsObserver(options: CorsObserverOptions = {}): KoaCorsObserverMiddleware {
  const observer = createObserver(options);
  function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    const path = nodeRoutingPath(ctx.originalUrl);
    // Left to Koa, a target it cannot route throws in ctx.path (a 500 with a stack trace per request):
    // answered 400 here, as the enforcing middleware does; every other answer is the app's.
    if (path === undefined) return Promise.resolve(refuseUnroutable(ctx.res));
    observeResponse(observer, () => corsRequestOf(ctx.req.method, ctx.req.headers, ctx.originalUrl, ctx, path), ctx.res);
    return next();
  }
  return Object.assign(middleware, observer);
}
