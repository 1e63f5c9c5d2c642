/**
 * Writing a decision on Node's ServerResponse: shared by the adapters whose framework writes headers
 * through it (Express, node:http, Koa). Fastify buffers headers on its reply and has its own writer.
 */
import type { ServerResponse } from 'node:http';
import vary from 'vary';
import type { Decision, HeaderPair } from '../engine/decision';
import type { ResponseWriter } from '../port';

/** A ResponseWriter on a ServerResponse; `pass` is the framework's way on to the application. */
export function nodeResponseWriter<Next, Out>(pass: (res: ServerResponse, next: Next) => Out): ResponseWriter<ServerResponse, Next, Out> {
  return { committed, allowOriginSet, writeHeaders, end, pass };
}

function committed(res: ServerResponse): boolean {
  return res.headersSent || res.writableEnded;
}

function allowOriginSet(res: ServerResponse): boolean {
  return res.getHeader('access-control-allow-origin') !== undefined;
}

function writeHeaders(res: ServerResponse, d: Decision): void {
  if (d.vary.length > 0) appendVary(res, d.vary);
  const headers = d.headers;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i] as HeaderPair;
    res.setHeader(header[0], header[1]);
  }
}

/**
 * A request target no router can route (routingPath() gave undefined): 400 with an empty body,
 * before any handler, so that neither the framework nor the app ever parses it.
 */
export function answerUnroutable(res: ServerResponse): undefined {
  if (!res.headersSent) end(res, 400);
  return undefined;
}

function end(res: ServerResponse, status: number): void {
  res.statusCode = status;
  res.setHeader('Content-Length', '0');
  res.end();
}

/** Vary values per (frozen) field list of a route, as vary() would write them on an empty header. */
const VARY_VALUES = new WeakMap<readonly string[], string>();

/**
 * Appends to Vary like the `vary` package, which re-parses the header on every call; when the
 * response has no Vary yet (the usual case for a middleware mounted first), the value is precomputed.
 */
export function appendVary(res: ServerResponse, fields: readonly string[]): void {
  if (res.getHeader('vary') !== undefined) {
    vary(res, fields as string[]);
    return;
  }
  res.setHeader('Vary', varyValue(fields));
}

/** The Vary value for `fields` on a response that has none yet. */
export function varyValue(fields: readonly string[]): string {
  let value = VARY_VALUES.get(fields);
  if (value === undefined) VARY_VALUES.set(fields, (value = vary.append('', fields as string[])));
  return value;
}
