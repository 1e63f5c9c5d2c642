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
  /** The error path: the decision's headers kept on the error Koa answers with, then the same error rethrown. */
  function keepHeadersOf(ctx: KoaContextLike, path: string, err: unknown): never {
    const origin = ctx.req.headers.origin;
    if (keepCorsHeaders(err, (ctx.res as AppliedResponse)[APPLIED]) && origin !== undefined) {
      sentinel.reportFinding('acao_already_set', { origin, path });
    }
    throw err;
  }
  // Not an async function: a preflight answered here returns an already settled promise instead of
  // waiting a microtask for `await undefined`, and a passed request returns next()'s own promise with
  // only the rejection handler attached.
  function middleware(ctx: KoaContextLike, next: KoaNext): Promise<unknown> {
    // Koa's ctx.path is parseurl's pathname of the same target (ctx.path throws where this is undefined):
    // a target Koa cannot route gets 400 here instead of a 500 with a stack trace further down.
    const path = nodeRoutingPath(ctx.originalUrl);
    if (path === undefined) return Promise.resolve(refuseUnroutable(ctx.res));
    let out: unknown;
    try {
      const req = ctx.req;
      out = sentinel.serve(corsRequestOf(req.method, req.headers, ctx.originalUrl, ctx, path), ctx.res, next, writer);
    } catch (err) {
      return new Promise<never>(() => keepHeadersOf(ctx, path, err)); // a next() that threw: rejected, as from an async function
    }
    return out instanceof Promise ? out.catch((err: unknown) => keepHeadersOf(ctx, path, err)) : Promise.resolve(out);
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
