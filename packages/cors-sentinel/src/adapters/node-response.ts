/**
 * Writing a decision on Node's ServerResponse: shared by the adapters whose framework writes headers
 * through it (Express, node:http, Koa). Fastify buffers headers on its reply and has its own writer.
 */
import type { ServerResponse } from 'node:http';
import vary from 'vary';
import type { Decision, HeaderPair } from '../engine/decision';
import type { ResponseWriter } from '../port';

/**
 * A ResponseWriter on a ServerResponse; `pass` is the framework's way on to the application.
 *
 * Each call reads `setHeader` off the response once and calls it for every header. Express gives every
 * request and response a hidden class of its own (it re-prototypes them and adds properties per
 * request), so every property read on them misses V8's caches and walks the prototype chain in the
 * runtime: ~1,200–1,900 instructions a read (callgrind, Node 22), against ~100 for the header
 * itself. Reading the method off the response, not off ServerResponse.prototype, keeps a setHeader
 * that an application or library replaced on the response working.
 */
export function nodeResponseWriter<Next, Out>(pass: (res: ServerResponse, next: Next) => Out): ResponseWriter<ServerResponse, Next, Out> {
  return { committed, throwsWhenCommitted: true, allowOriginSet, writeHeaders, end, respond, pass };
}

type SetHeader = ServerResponse['setHeader'];

/** The response's own setHeader, read once per call and then called as `setHeader.call(res, …)`. */
// eslint-disable-next-line @typescript-eslint/unbound-method -- never called without `res` as `this`
const setHeaderOf = (res: ServerResponse): SetHeader => res.setHeader;

/**
 * `headersSent || writableEnded`. Node's ServerResponse keeps its head in `_header`: null until the head
 * is built, which `end()` does before it marks the response ended, and `headersSent` is `!!_header`. So a
 * null `_header` answers "not committed" from one plain field; on Express's per-request hidden classes
 * each of the two getters costs a lookup through the prototype chain (~4,900 instructions, Node 22). A
 * response without the field (HTTP/2 compatibility, a stand-in) is asked through the public getters.
 */
function committed(res: ServerResponse): boolean {
  if ((res as { _header?: unknown })._header === null) return false;
  return res.headersSent || res.writableEnded;
}

function allowOriginSet(res: ServerResponse): boolean {
  return res.getHeader('access-control-allow-origin') !== undefined;
}

function writeHeaders(res: ServerResponse, d: Decision): void {
  writeWith(res, setHeaderOf(res), d);
}

function end(res: ServerResponse, status: number): void {
  endWith(res, setHeaderOf(res), status);
}

function respond(res: ServerResponse, d: Decision, status: number): void {
  const setHeader = setHeaderOf(res);
  writeWith(res, setHeader, d);
  endWith(res, setHeader, status);
}

function writeWith(res: ServerResponse, setHeader: SetHeader, d: Decision): void {
  if (d.vary.length > 0) appendVary(res, setHeader, d.vary);
  const headers = d.headers;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i] as HeaderPair;
    setHeader.call(res, header[0], header[1]);
  }
}

function endWith(res: ServerResponse, setHeader: SetHeader, status: number): void {
  res.statusCode = status;
  setHeader.call(res, 'Content-Length', '0');
  res.end();
}

/** Vary values per (frozen) field list of a route, as vary() would write them on an empty header. */
const VARY_VALUES = new WeakMap<readonly string[], string>();

/**
 * Appends to Vary like the `vary` package, which re-parses the header on every call; when the
 * response has no Vary yet (the usual case for a middleware mounted first), the value is precomputed.
 */
function appendVary(res: ServerResponse, setHeader: SetHeader, fields: readonly string[]): void {
  if (res.getHeader('vary') !== undefined) {
    vary(res, fields as string[]);
    return;
  }
  setHeader.call(res, 'Vary', varyValue(fields));
}

/** The Vary value for `fields` on a response that has none yet. */
export function varyValue(fields: readonly string[]): string {
  let value = VARY_VALUES.get(fields);
  if (value === undefined) VARY_VALUES.set(fields, (value = vary.append('', fields as string[])));
  return value;
}
