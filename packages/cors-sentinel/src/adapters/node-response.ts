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
 * Each call looks `setHeader` up once and calls it for every header. `reprototyped`: the framework
 * gives every response a prototype and properties of its own (Express re-prototypes each one onto
 * `app.response`), so that each response has a hidden class of its own and every first read of a
 * property on it misses V8's caches and is looked up in the runtime: ~2,500 instructions for a method
 * (callgrind, Node 22), against ~100 for setting a header. The writer then reads `setHeader`,
 * `getHeader` and `end` off the prototype, whose hidden class stays the same, unless the response
 * carries its own (a wrapper an earlier middleware installed is still called for every header). On
 * Node's own responses (node:http, Koa) the plain read is the cached one, and is kept.
 */
export function nodeResponseWriter<Next, Out>(
  pass: (res: ServerResponse, next: Next) => Out,
  options: { readonly reprototyped?: boolean } = {},
): ResponseWriter<ServerResponse, Next, Out> {
  const methods = options.reprototyped === true ? PROTOTYPE_METHODS : OWN_METHODS;
  return {
    committed,
    throwsWhenCommitted: true,
    allowOriginSet: (res) => methods.getHeader(res).call(res, 'access-control-allow-origin') !== undefined,
    writeHeaders: (res, d) => writeWith(res, methods, methods.setHeader(res), d),
    end: (res, status) => endWith(res, methods, methods.setHeader(res), status),
    respond(res, d, status) {
      const setHeader = methods.setHeader(res);
      writeWith(res, methods, setHeader, d);
      endWith(res, methods, setHeader, status);
    },
    pass,
  };
}

type SetHeader = ServerResponse['setHeader'];
type GetHeader = ServerResponse['getHeader'];
type End = () => void;

/** Where the writer finds a response's methods (each is then called with the response as `this`). */
interface Methods {
  setHeader(res: ServerResponse): SetHeader;
  getHeader(res: ServerResponse): GetHeader;
  end(res: ServerResponse): End;
}

/* eslint-disable @typescript-eslint/unbound-method -- each is called with `res` as `this` */
const OWN_METHODS: Methods = {
  setHeader: (res) => res.setHeader,
  getHeader: (res) => res.getHeader,
  end: (res) => res.end as End,
};

type Prototype = { readonly setHeader: SetHeader; readonly getHeader: GetHeader; readonly end: End };
const prototypeOf = (res: ServerResponse): Prototype => Object.getPrototypeOf(res) as Prototype;

const PROTOTYPE_METHODS: Methods = {
  setHeader: (res) => (Object.hasOwn(res, 'setHeader') ? res.setHeader : prototypeOf(res).setHeader),
  getHeader: (res) => (Object.hasOwn(res, 'getHeader') ? res.getHeader : prototypeOf(res).getHeader),
  end: (res) => (Object.hasOwn(res, 'end') ? (res.end as End) : prototypeOf(res).end),
};
/* eslint-enable @typescript-eslint/unbound-method */

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

function writeWith(res: ServerResponse, methods: Methods, setHeader: SetHeader, d: Decision): void {
  if (d.vary.length > 0) appendVary(res, methods, setHeader, d.vary);
  const headers = d.headers;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i] as HeaderPair;
    setHeader.call(res, header[0], header[1]);
  }
}

function endWith(res: ServerResponse, methods: Methods, setHeader: SetHeader, status: number): void {
  res.statusCode = status;
  setHeader.call(res, 'Content-Length', '0');
  methods.end(res).call(res);
}

/** Vary values per (frozen) field list of a route, as vary() would write them on an empty header. */
const VARY_VALUES = new WeakMap<readonly string[], string>();

/**
 * Appends to Vary like the `vary` package, which re-parses the header on every call; when the
 * response has no Vary yet (the usual case for a middleware mounted first), the value is precomputed.
 */
function appendVary(res: ServerResponse, methods: Methods, setHeader: SetHeader, fields: readonly string[]): void {
  if (methods.getHeader(res).call(res, 'vary') !== undefined) {
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
