/**
 * Express (4 and 5) and Connect-style middleware. Thin on purpose: it reads the request, asks the
 * engine, writes what the decision says and hands the decision to the recorder.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import vary from 'vary';
import type { CorsRequest, Decision } from '../engine/decision';
import type { CorsSentinelOptions } from '../policy/options';
import { createSentinel, type Sentinel } from '../sentinel';

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

  function middleware(req: IncomingMessage, res: ServerResponse, next: NextFunction): void {
    const started = performance.now();
    const origin = req.headers.origin;
    if (origin !== undefined && res.getHeader('access-control-allow-origin') !== undefined) {
      // Another CORS layer (an earlier middleware or the framework) answered before us.
      sentinel.reportFinding('acao_already_set', { origin, path: pathOf(req) });
    }
    const request = toCorsRequest(req);
    const result = sentinel.decide(request);
    // Started now so that a slow candidate lookup overlaps the live one; it is never awaited.
    const shadow = sentinel.beginReportOnly(request);
    if (result instanceof Promise) {
      result.then(
        (decision) => apply(decision, res, next, started, origin, shadow),
        // decide() turns resolver failures into decisions; anything else is a bug: fail closed, never a 500.
        () => next(),
      );
    } else {
      apply(result, res, next, started, origin, shadow);
    }
  }

  function apply(
    d: Decision,
    res: ServerResponse,
    next: NextFunction,
    started: number,
    rawOrigin: string | undefined,
    shadow: { complete(live: Decision): void } | undefined,
  ): void {
    if (d.vary.length > 0) vary(res, d.vary as string[]);
    for (const [name, value] of d.headers) res.setHeader(name, value);
    if (d.passThrough) {
      sentinel.record(d, (performance.now() - started) / 1000, rawOrigin);
      shadow?.complete(d);
      next();
      return;
    }
    // Ends preflights (allowed or not) and, when opted in, actual requests from rejected origins.
    res.statusCode = d.status ?? 204;
    res.setHeader('Content-Length', '0');
    res.end();
    sentinel.record(d, (performance.now() - started) / 1000, rawOrigin);
    shadow?.complete(d);
  }

  return Object.assign(middleware, sentinel);
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
