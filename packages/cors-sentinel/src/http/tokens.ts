/**
 * HTTP method and header-name rules from the Fetch standard, shared by config validation (once)
 * and request checks (per preflight).
 */

/** RFC 9110 `tchar`, as a lookup table over ASCII. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Methods browsers refuse to send; listing one means the policy was misunderstood. */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Request headers scripts cannot set (Fetch "forbidden request-header"), plus the `proxy-`/`sec-` prefixes. */
const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'access-control-request-private-network', 'connection', 'content-length', 'cookie', 'cookie2', 'date', 'dnt',
  'expect', 'host', 'keep-alive', 'origin', 'referer', 'set-cookie', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'via',
]);

export function isForbiddenRequestHeader(lowerName: string): boolean {
  return FORBIDDEN_REQUEST_HEADERS.has(lowerName) || lowerName.startsWith('proxy-') || lowerName.startsWith('sec-');
}

/**
 * CORS response headers: the server sends them, no script ever asks to send one. Listing one in
 * allowedHeaders is a copy-paste mistake (jub0bs/cors calls these prohibited request-header names).
 */
const CORS_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-allow-private-network', 'access-control-max-age',
  'access-control-expose-headers',
]);

export function isCorsResponseHeader(lowerName: string): boolean {
  return CORS_RESPONSE_HEADERS.has(lowerName);
}

/**
 * Names that exposing achieves nothing: request headers (`Origin`, `Access-Control-Request-*`) and the
 * preflight-only response headers, which never reach a script's actual response.
 */
const NEVER_EXPOSED_HEADERS: ReadonlySet<string> = new Set([
  'origin', 'access-control-request-method', 'access-control-request-headers', 'access-control-request-private-network',
  'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age', 'access-control-allow-private-network',
]);

export function isNeverExposedHeader(lowerName: string): boolean {
  return NEVER_EXPOSED_HEADERS.has(lowerName);
}

/** Response headers browsers never expose to scripts, whatever the server says. */
export const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/** Methods any cross-origin request may use without being listed (CORS-safelisted methods). */
export const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** Caps on `Access-Control-Request-Headers`: real browsers stay far below them. */
export const MAX_REQUEST_HEADERS_LENGTH = 2048;
export const MAX_REQUEST_HEADERS_COUNT = 32;
/**
 * Empty list elements (`a,,b`, a trailing comma, an empty field line that Node joins as `, a`) that are
 * ignored: RFC 9110 §5.6.1.2 asks recipients to ignore "a reasonable number" of them; jub0bs/cors
 * tolerates 16 too. Beyond that the list is refused as too large.
 */
export const MAX_EMPTY_REQUEST_HEADER_ELEMENTS = 16;

export type RequestedHeaders =
  | { readonly ok: true; readonly names: readonly string[] }
  | { readonly ok: false; readonly tooLarge: boolean };

/**
 * Splits an `Access-Control-Request-Headers` value into lower-case names. Anything that is not a
 * comma-separated list of tokens (with a few empty elements) is refused, so nothing unvalidated can
 * ever be echoed back.
 */
export function parseRequestedHeaders(value: string): RequestedHeaders {
  if (value.length > MAX_REQUEST_HEADERS_LENGTH) return { ok: false, tooLarge: true };
  const names: string[] = [];
  let empty = 0;
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i !== value.length && value.charCodeAt(i) !== 0x2c /* , */) continue;
    const name = trimOws(value.slice(start, i)).toLowerCase();
    start = i + 1;
    if (name === '') {
      if (++empty > MAX_EMPTY_REQUEST_HEADER_ELEMENTS) return { ok: false, tooLarge: true };
      continue;
    }
    if (!isToken(name)) return { ok: false, tooLarge: false };
    names.push(name);
    if (names.length > MAX_REQUEST_HEADERS_COUNT) return { ok: false, tooLarge: true };
  }
  return { ok: true, names };
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return s.slice(a, b);
}

/**
 * A Host field value of RFC 9110 §7.2: `uri-host [":" port]`, the host an IP-literal in brackets,
 * an IPv4 address or a reg-name (unreserved, percent-encoded and sub-delims characters). RFC 9112
 * §3.2 requires a 400 for any other: a proxy must never hand one on (undici asserts on `[x`).
 */
const HOST_FIELD = /^(?:\[[0-9A-Za-z:.%~_-]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;
export function isValidHostField(value: string): boolean {
  return HOST_FIELD.test(value);
}
