/**
 * Builds the engine's neutral CorsRequest from what every Node framework hands over: a method, Node's
 * header object, a request target and the path the framework routes it on (src/http/routing-path.ts).
 * Shared by the Express, node:http, Fastify and Koa adapters, the observer and the proxy; the engine
 * itself never sees a framework type.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Connection, CorsRequest, RequestHandle } from '../engine/decision';
import { nodeRoutingPath, type PathReader } from '../http/routing-path';

/**
 * `target`: the request target as received (origin-form `/a?b`, or absolute-form `http://host/a`);
 * `handle`: the framework's request object, passed unchanged to origin resolvers; `path`: the path the
 * framework routes `target` on (a routing-path reading of it, never undefined here); `localPort`: the port
 * the connection arrived on, when the caller knows it (for the `localServer` Host allowlist).
 *
 * The connection is read off the handle's `socket` (IncomingMessage, FastifyRequest and Koa's Context
 * all have one) only when the engine needs it: its `encrypted` for the scheme when an Origin names the
 * request's own host, its `localPort` for a `localServer` allowlist. On Express even reading `req.socket`
 * is a lookup in V8's runtime (each request has a hidden class of its own), and most requests need
 * neither.
 */
export function corsRequestOf(
  method: string | undefined, headers: IncomingHttpHeaders, target: string, handle: RequestHandle, path: string, localPort?: number,
): CorsRequest {
  // The preflight headers mean something on an OPTIONS request only (every reader checks the method
  // first): other requests skip three lookups in Node's header object.
  const options = method === 'OPTIONS';
  return {
    method: method ?? 'GET',
    path,
    origin: headers.origin,
    host: headers.host,
    forwardedScheme: trustedProxyScheme,
    localPort,
    connectionOf: socketOf,
    accessControlRequestMethod: options ? single(headers['access-control-request-method']) : undefined,
    accessControlRequestHeaders: options ? single(headers['access-control-request-headers']) : undefined,
    accessControlRequestPrivateNetwork: options ? single(headers['access-control-request-private-network']) : undefined,
    hasCookie: headers.cookie !== undefined,
    secFetchSite: single(headers['sec-fetch-site']),
    target,
    headers,
    raw: handle,
  };
}

/** The target Express routes on: `originalUrl` (unchanged under a mount prefix), else Node's `url`. */
export function targetOf(req: IncomingMessage): string {
  return (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
}

/** The CorsRequest of a Node request read by `reader`, or undefined when its target cannot be routed (answer 400). */
export function nodeCorsRequest(req: IncomingMessage, reader: PathReader = nodeRoutingPath, target: string = targetOf(req)): CorsRequest | undefined {
  const path = reader(target);
  return path === undefined ? undefined : corsRequestOf(req.method, req.headers, target, req, path);
}

/** The connection of a request handle: every handle the adapters pass exposes it as `socket`. */
function socketOf(handle: RequestHandle): Connection | null | undefined {
  return (handle as { socket?: Connection | null } | null | undefined)?.socket;
}

/**
 * `https` when the framework's own `protocol` says so on a plain socket: Express's `req.protocol` under
 * `trust proxy`, Fastify's `request.protocol` under `trustProxy`, Koa's `ctx.protocol` under
 * `app.proxy`. Each reads `X-Forwarded-Proto` only when its trust setting admits the peer and otherwise
 * answers `http` from the socket, so only `https` tells us something (and an https page calling an http
 * API is blocked by the browser as mixed content anyway). The engine reads it only for an Origin that
 * names the request's own host: Express's getter runs an address check. A getter that throws: unknown.
 */
function trustedProxyScheme(handle: RequestHandle): 'https' | undefined {
  try {
    const protocol = (handle as { protocol?: unknown } | null | undefined)?.protocol;
    return typeof protocol === 'string' && protocol.toLowerCase() === 'https' ? 'https' : undefined;
  } catch {
    return undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
