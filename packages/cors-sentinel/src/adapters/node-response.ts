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
 * Each call looks up the response's methods once, off its prototype. Express gives every request and
 * response a hidden class of its own (it re-prototypes them and adds properties per request), so every
 * property read on them misses V8's caches and is looked up in the runtime: ~2,500 instructions for a
 * method (callgrind, Node 22), against ~100 for setting the header itself. The prototype (Express's
 * `app.response`, or ServerResponse.prototype) keeps one hidden class, so a method read there is
 * cached; a method the response carries itself (a wrapper an earlier middleware installed) is read off
 * the response and still called for every header.
 */
export function nodeResponseWriter<Next, Out>(pass: (res: ServerResponse, next: Next) => Out): ResponseWriter<ServerResponse, Next, Out> {
  return { committed, throwsWhenCommitted: true, allowOriginSet, writeHeaders, end, respond, pass };
}

type SetHeader = ServerResponse['setHeader'];
type GetHeader = ServerResponse['getHeader'];
type End = () => void;
type Prototype = { readonly setHeader: SetHeader; readonly getHeader: GetHeader; readonly end: End };

/* eslint-disable @typescript-eslint/unbound-method -- each is called with `res` as `this` */
/** The response's own setHeader: its own property if it has one, else its prototype's (see above). */
const setHeaderOf = (res: ServerResponse): SetHeader => (Object.hasOwn(res, 'setHeader') ? res.setHeader : prototypeOf(res).setHeader);
const getHeaderOf = (res: ServerResponse): GetHeader => (Object.hasOwn(res, 'getHeader') ? res.getHeader : prototypeOf(res).getHeader);
const endOf = (res: ServerResponse): End => (Object.hasOwn(res, 'end') ? res.end : prototypeOf(res).end);
/* eslint-enable @typescript-eslint/unbound-method */
const prototypeOf = (res: ServerResponse): Prototype => Object.getPrototypeOf(res) as Prototype;

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
  return getHeaderOf(res).call(res, 'access-control-allow-origin') !== undefined;
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
  endOf(res).call(res);
}

/** Vary values per (frozen) field list of a route, as vary() would write them on an empty header. */
const VARY_VALUES = new WeakMap<readonly string[], string>();

/**
 * Appends to Vary like the `vary` package, which re-parses the header on every call; when the
 * response has no Vary yet (the usual case for a middleware mounted first), the value is precomputed.
 */
function appendVary(res: ServerResponse, setHeader: SetHeader, fields: readonly string[]): void {
  if (getHeaderOf(res).call(res, 'vary') !== undefined) {
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
