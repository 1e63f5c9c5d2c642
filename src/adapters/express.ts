/**
 * Express (4 and 5) and Connect-style middleware. Thin on purpose: it reads the request, asks the
 * engine, writes what the decision says and hands the decision to the recorder.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import vary from 'vary';
import type { CorsRequest, Decision, HeaderPair } from '../engine/decision';
import type { MetricsHandlerOptions } from '../metrics/handler';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';
import { answerBlocked } from '../fetch-metadata/protect';
import { createExpressMountCheck } from './express-mount-check';

export type NextFunction = (err?: unknown) => void;
export type CorsSentinelMiddleware = ((req: IncomingMessage, res: ServerResponse, next: NextFunction) => void) & Sentinel;

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
    // Only preflight answers are timed (cors_preflight_duration_seconds): other requests skip the clock.
    const started = req.method === 'OPTIONS' ? performance.now() : -1;
    const origin = req.headers.origin;
    if (origin !== undefined && res.getHeader('access-control-allow-origin') !== undefined) {
      // Another CORS layer (an earlier middleware or the framework) answered before us.
      sentinel.reportFinding('acao_already_set', { origin, path: pathOf(req) });
    }
    const request = toCorsRequest(req);
    // Cross-origin request protection (src/fetch-metadata): a blocked request goes no further.
    const verdict = sentinel.protect(request);
    if (verdict?.blocked === true) return answerBlocked(res, verdict);
    const result = sentinel.decide(request);
    // Started now so that a slow candidate lookup overlaps the live one; it is never awaited.
    const shadow = sentinel.beginReportOnly(request);
    if (result instanceof Promise) {
      result.then(
        (decision) => apply(decision, res, next, started, request, shadow),
        // decide() turns resolver failures into decisions; anything else is a bug: fail closed, never a 500.
        () => next(),
      );
    } else {
      apply(result, res, next, started, request, shadow);
    }
  }

  function apply(
    d: Decision,
    res: ServerResponse,
    next: NextFunction,
    started: number,
    request: CorsRequest,
    shadow: { complete(live: Decision): void } | undefined,
  ): void {
    if (d.vary.length > 0) appendVary(res, d.vary);
    const headers = d.headers;
    for (let i = 0; i < headers.length; i++) {
      const header = headers[i] as HeaderPair;
      res.setHeader(header[0], header[1]);
    }
    if (d.passThrough) {
      sentinel.record(d, elapsedSeconds(started), request.origin, request);
      shadow?.complete(d);
      next();
      return;
    }
    // Ends preflights (allowed or not) and, when opted in, actual requests from rejected origins.
    res.statusCode = d.status ?? 204;
    res.setHeader('Content-Length', '0');
    res.end();
    sentinel.record(d, elapsedSeconds(started), request.origin, request);
    shadow?.complete(d);
  }

  return Object.assign(middleware, sentinel, { metricsHandler: (o?: MetricsHandlerOptions) => mountCheck.metricsHandler(sentinel.metricsHandler(o), middleware) });
}

function elapsedSeconds(started: number): number {
  return started < 0 ? 0 : (performance.now() - started) / 1000;
}

/** Vary values per (frozen) field list of a route, as vary() would write them on an empty header. */
const VARY_VALUES = new WeakMap<readonly string[], string>();

/**
 * Appends to Vary like the `vary` package, which re-parses the header on every call; when the
 * response has no Vary yet (the usual case for a middleware mounted first), the value is precomputed.
 */
function appendVary(res: ServerResponse, fields: readonly string[]): void {
  if (res.getHeader('vary') !== undefined) {
    vary(res, fields as string[]);
    return;
  }
  let value = VARY_VALUES.get(fields);
  if (value === undefined) VARY_VALUES.set(fields, (value = vary.append('', fields as string[])));
  if (value !== '') res.setHeader('Vary', value);
}

/** The engine's view of a Node request (shared with the observer). */
export function toCorsRequest(req: IncomingMessage): CorsRequest {
  const h = req.headers;
  return {
    method: req.method ?? 'GET',
    path: pathOf(req),
    origin: h.origin,
    host: h.host,
    accessControlRequestMethod: single(h['access-control-request-method']),
    accessControlRequestHeaders: single(h['access-control-request-headers']),
    accessControlRequestPrivateNetwork: single(h['access-control-request-private-network']),
    hasCookie: h.cookie !== undefined,
    secFetchSite: single(h['sec-fetch-site']),
    raw: req,
  };
}

export function pathOf(req: IncomingMessage): string {
  // originalUrl: the full path even when the middleware is mounted under a prefix.
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
