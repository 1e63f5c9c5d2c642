/**
 * Builds the engine's neutral CorsRequest from what every Node framework hands over: a method, Node's
 * header object and a request target. Shared by the Express, node:http, Fastify and Koa adapters and
 * the observer; the engine itself never sees a framework type.
 */
import type { IncomingHttpHeaders } from 'node:http';
import parseurl from 'parseurl';
import type { CorsRequest, RequestHandle } from '../engine/decision';

/**
 * `target`: the request target as received (origin-form `/a?b`, or absolute-form `http://host/a`);
 * `handle`: the framework's request object, passed unchanged to origin resolvers; `path`: the path the
 * framework routes on, when it is not parseurl's pathname of the target (Fastify decodes it).
 * Undefined when the target has no routable path: the adapter answers 400 (answerUnroutable) instead.
 */
export function corsRequestOf(
  method: string | undefined, headers: IncomingHttpHeaders, target: string, handle: RequestHandle, path: string | undefined = routingPath(target),
): CorsRequest | undefined {
  if (path === undefined) return undefined;
  return {
    method: method ?? 'GET',
    path,
    origin: headers.origin,
    host: headers.host,
    accessControlRequestMethod: single(headers['access-control-request-method']),
    accessControlRequestHeaders: single(headers['access-control-request-headers']),
    accessControlRequestPrivateNetwork: single(headers['access-control-request-private-network']),
    hasCookie: headers.cookie !== undefined,
    secFetchSite: single(headers['sec-fetch-site']),
    target,
    headers,
    raw: handle,
  };
}

/**
 * The path a Node router routes on, as Express (4 and 5) and Koa compute it with `parseurl`: the
 * pathname of the target. An absolute-form target (`GET http://host/api/account/me`) is routed on
 * `/api/account/me`, so the CORS route must be chosen from that path too, not from the raw string.
 *
 * Total: a target no router can route (`http://[`, which the URL parser rejects) gives `undefined`,
 * never an exception, and every adapter answers it 400 with an empty body before any handler runs.
 */
export function routingPath(target: string): string | undefined {
  // Origin-form without the characters that make parseurl fall back to the full parser: slice in place.
  if (target.charCodeAt(0) === 0x2f) {
    for (let i = 1; i < target.length; i++) {
      const c = target.charCodeAt(i);
      if (c === 0x3f) return target.slice(0, i);
      if (c === 0x23 || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0xa0 || c === 0xfeff) return fullParse(target);
    }
    return target;
  }
  return fullParse(target);
}

function fullParse(target: string): string | undefined {
  try {
    return parseurl({ url: target } as Parameters<typeof parseurl>[0])?.pathname ?? '/';
  } catch {
    return undefined; // ERR_INVALID_URL: Node's url.parse rejects the authority
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
