/**
 * Origins as browsers serialise them: `scheme "://" host [ ":" port ]`, or `null`.
 *
 * `parseRequestOrigin` runs on every request, so it is a single pass over the characters with no
 * URL parsing and no regex. `normaliseConfiguredOrigin` runs once at start-up and may be thorough.
 */
import { isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';

/** Longer Origin headers are invalid: a DNS name is at most 253 octets. */
export const MAX_ORIGIN_LENGTH = 300;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

export interface ParsedOrigin {
  /** Normalised serialisation: lower-case, default port elided. */
  readonly origin: string;
  readonly scheme: string;
  /** Lower-case host; IPv6 hosts keep their brackets. Empty only for `file://`. */
  readonly host: string;
  /** Explicit non-default port, or '' */
  readonly port: string;
}

function isSchemeChar(c: number, first: boolean): boolean {
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x7a) return true; // a-z, A-Z
  if (first) return false;
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e; // 0-9 + - .
}

/** Letters, digits, '-', '_', '.': what appears in an ASCII (punycode) host name. */
function isHostChar(c: number): boolean {
  const lower = c | 0x20;
  return (lower >= 0x61 && lower <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
}

function isIPv6Char(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66) || c === 0x3a || c === 0x2e;
}

/**
 * Parses an `Origin` request header. Returns undefined for anything a browser would not send:
 * paths, credentials, query strings, whitespace, non-ASCII, empty labels, bad ports, over-long values.
 * `null` is not an origin here; callers check for it first.
 */
export function parseRequestOrigin(raw: string): ParsedOrigin | undefined {
  const len = raw.length;
  if (len === 0 || len > MAX_ORIGIN_LENGTH) return undefined;

  // Browsers send origins already normalised; `changed` records whether this one was not, so that
  // the common case returns `raw` itself instead of a rebuilt copy.
  let changed = false;
  let i = 0;
  for (; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (!isSchemeChar(c, i === 0)) break;
    if (c >= 0x41 && c <= 0x5a) changed = true;
  }
  if (i === 0 || i + 3 > len || raw.charCodeAt(i) !== 0x3a || raw.charCodeAt(i + 1) !== 0x2f || raw.charCodeAt(i + 2) !== 0x2f) {
    return undefined;
  }
  const scheme = changed ? raw.slice(0, i).toLowerCase() : raw.slice(0, i);
  const hostStart = i + 3;
  let j = hostStart;
  let hostUpper = false;

  if (j < len && raw.charCodeAt(j) === 0x5b /* [ */) {
    j++;
    for (; j < len; j++) {
      const c = raw.charCodeAt(j);
      if (!isIPv6Char(c)) break;
      if (c >= 0x41 && c <= 0x5a) hostUpper = true;
    }
    if (j >= len || raw.charCodeAt(j) !== 0x5d /* ] */ || !isIPv6(raw.slice(hostStart + 1, j))) return undefined;
    j++;
  } else {
    let prev = 0x2e; // a host may not start with '.'
    while (j < len) {
      const c = raw.charCodeAt(j);
      if (!isHostChar(c)) break;
      if (c === 0x2e && prev === 0x2e) return undefined; // empty label
      if (c >= 0x41 && c <= 0x5a) hostUpper = true;
      prev = c;
      j++;
    }
  }
  const host = hostUpper ? raw.slice(hostStart, j).toLowerCase() : raw.slice(hostStart, j);
  if (hostUpper) changed = true;

  let port = '';
  if (j < len) {
    if (raw.charCodeAt(j) !== 0x3a /* : */) return undefined;
    const portStart = j + 1;
    j = portStart;
    while (j < len) {
      const c = raw.charCodeAt(j);
      if (c < 0x30 || c > 0x39) return undefined;
      j++;
    }
    const digits = j - portStart;
    if (digits === 0 || digits > 5) return undefined;
    const value = Number(raw.slice(portStart, j));
    // Port 0 names no listening socket: no browser sends it.
    if (value === 0 || value > 65535) return undefined;
    port = String(value);
    if (port.length !== digits) changed = true; // leading zeros
    if (DEFAULT_PORTS[scheme] === port) {
      port = '';
      changed = true;
    }
  }

  if (host === '') {
    // Only `file://` has an empty host; with a port it is meaningless.
    if (scheme !== 'file' || port !== '') return undefined;
  } else if (scheme === 'file') {
    return undefined;
  }

  const origin = !changed ? raw : port === '' ? `${scheme}://${host}` : `${scheme}://${host}:${port}`;
  return { origin, scheme, host, port };
}

export type ConfiguredOriginResult =
  | {
      readonly ok: true;
      readonly parsed: ParsedOrigin;
      readonly hadTrailingSlash: boolean;
      /** Set when the host or port was written in a form browsers never send (`127.1`, `[0:0::1]`, `:08080`). */
      readonly rewritten: string | undefined;
    }
  | { readonly ok: false; readonly code: 'invalid_origin' | 'origin_has_path'; readonly message: string };

/** Schemes whose hosts the WHATWG URL parser canonicalises (IPv4 and IPv6 forms, IDNA); others keep an opaque host. */
const SPECIAL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss', 'ftp']);

/**
 * Normalises a configured origin as browsers serialise it: lower-case, punycode for IDN hosts, IPv4
 * and IPv6 addresses in their canonical form (WHATWG URL host parser), default port elided, a lone
 * trailing slash dropped. A path, query, fragment, credentials, a malformed host or port 0 is an error.
 */
export function normaliseConfiguredOrigin(input: string): ConfiguredOriginResult {
  const trimmed = input.trim();
  if (trimmed === '') {
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} is empty: is the environment variable it comes from unset?` };
  }
  if (trimmed !== input) {
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} has surrounding whitespace; did you mean ${JSON.stringify(trimmed)}?` };
  }
  const schemeEnd = trimmed.indexOf('://');
  if (schemeEnd <= 0) {
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} is not an origin (expected scheme://host[:port])${suggestOrigin(trimmed)}` };
  }
  const scheme = trimmed.slice(0, schemeEnd).toLowerCase();
  let rest = trimmed.slice(schemeEnd + 3);
  let hadTrailingSlash = false;
  if (rest.endsWith('/') && rest.indexOf('/') === rest.length - 1) {
    rest = rest.slice(0, -1);
    hadTrailingSlash = true;
  }
  if (/[/?#@\\]/.test(rest)) {
    return {
      ok: false,
      code: 'origin_has_path',
      message: `${JSON.stringify(input)} has a path, query, fragment or credentials; an origin is scheme://host[:port] only${input.includes(',') ? suggestOrigin(',') : ''}`,
    };
  }
  let hostPart = rest;
  let portPart = '';
  const bracketEnd = rest.lastIndexOf(']');
  const colon = rest.lastIndexOf(':');
  if (colon > bracketEnd) {
    hostPart = rest.slice(0, colon);
    portPart = rest.slice(colon);
  }
  if (/^:0+$/.test(portPart)) {
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} has port 0, which no browser can load a page from` };
  }
  const asciiHost = canonicalHost(scheme, hostPart);
  if (asciiHost === undefined) {
    const what = hostPart.startsWith('[') || hostPart.includes(']') ? 'a malformed IPv6 address (write the address in brackets, then an optional port, as in http://[::1]:8080; no zone id)' : 'an invalid host';
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} has ${what}` };
  }
  const parsed = parseRequestOrigin(`${scheme}://${asciiHost}${portPart}`);
  if (!parsed) {
    return { ok: false, code: 'invalid_origin', message: `${JSON.stringify(input)} is not a valid origin` };
  }
  const leadingZeroPort = /^:0\d/.test(portPart);
  // Lower case and punycode for a Unicode host are expected; any other change of the text is worth saying.
  const hostRewritten = /^[\x21-\x7e]*$/.test(hostPart) && asciiHost !== hostPart.toLowerCase();
  const rewritten = hostRewritten || leadingZeroPort ? parsed.origin : undefined;
  return { ok: true, parsed, hadTrailingSlash, rewritten };
}

/** The host as browsers send it, or undefined when it cannot be one. */
function canonicalHost(scheme: string, hostPart: string): string | undefined {
  if (hostPart === '') return '';
  if (!SPECIAL_SCHEMES.has(scheme)) {
    const ascii = hostPart.startsWith('[') ? hostPart.toLowerCase() : domainToASCII(hostPart.toLowerCase());
    return ascii === '' ? undefined : ascii;
  }
  try {
    // The WHATWG parser is what browsers serialise Origin with: `[0:0:0:0:0:0:0:1]` → `[::1]`, `127.1` → `127.0.0.1`.
    const hostname = new URL(`${scheme}://${hostPart}`).hostname;
    return hostname === '' ? undefined : hostname;
  } catch {
    return undefined;
  }
}

/**
 * The likely fix for a value that is not an origin: a list joined by commas, or a host without its
 * scheme (`example.com` → https, `localhost:3000` → http, as development servers run).
 */
function suggestOrigin(value: string): string {
  if (value.includes(',')) return '; did you mean a list? split it: origins: value.split(",")';
  if (!/^[a-z0-9.[\]:-]+$/i.test(value) || !/[a-z0-9]/i.test(value)) return '';
  const host = value.replace(/:\d+$/, '').toLowerCase();
  const scheme = isLoopbackHost(host) || host === '[::1]' ? 'http' : 'https';
  return `; did you mean "${scheme}://${value.toLowerCase()}"?`;
}

/**
 * Loopback hosts, where plain http is not a downgrade: localhost, *.localhost, 127/8, ::1. Secure
 * Contexts (§3.1) counts the fully qualified forms `localhost.` and `*.localhost.` too.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === 'localhost' || name.endsWith('.localhost') || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
