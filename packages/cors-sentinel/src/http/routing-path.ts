/**
 * The routing-path contract (docs/threat-model.md, "Routing path"): the path a framework or backend
 * routes a request target on. The CORS route, the tenant, the cross-origin-protection bypass and the
 * route label are all chosen on it, so that the policy judges the path whose handler will run — not
 * the raw target, which `/api/%61ccount/me`, `/api//account/me` or `/api/me;x=1` can shape.
 *
 * Every reading is total: `undefined` for a target the framework or backend would not route (a
 * malformed escape, an absolute-form target the URL parser rejects such as `http://[`, a dot segment a
 * profile refuses). Adapters answer 400 to it before any handler; nothing here throws.
 *
 * Readings: `nodeRoutingPath` (Express 4/5, Koa, node:http: parseurl's pathname, undecoded, as their
 * routers match), `fastifyPathReader` (find-my-way with the instance's router options), and
 * `backendPathReader` (the sidecar proxy: a profile of what the backend behind it does; src/proxy/
 * backend-profile.ts names the presets), `decodedPathReading` (a path a server already decoded and
 * normalised, such as nginx's `$uri` in the access log).
 */
import type { ServerResponse } from 'node:http';
import parseurl from 'parseurl';

/** A target (`/a/b?q`, `http://host/a`) → the path routed on, or undefined: answer 400. */
export type PathReader = (target: string) => string | undefined;

/**
 * The answer to a target that is not routable (`GET http://[ HTTP/1.1`, a malformed escape, a reading
 * a profile refuses): 400 with an empty body, before any handler, and the connection closed.
 */
export function refuseUnroutable(res: ServerResponse): void {
  if (res.headersSent || res.writableEnded) return;
  res.statusCode = 400;
  res.setHeader('Content-Length', '0');
  res.setHeader('Connection', 'close');
  res.end();
}

/** The path `reader` routes `target` on (default: Express/Koa/node:http). Never throws. */
export function routingPath(target: string, reader: PathReader = nodeRoutingPath): string | undefined {
  return reader(target);
}

/**
 * Express (4 and 5), Koa and node:http: parseurl's pathname, which their routers match undecoded
 * (`/api/%61ccount/me` runs no `/api/account/me` handler there). An absolute-form target is routed on
 * its path; one the legacy URL parser rejects (`http://[`) is undefined.
 */
export function nodeRoutingPath(target: string): string | undefined {
  // Origin-form without the characters that make parseurl fall back to the full parser: slice in place.
  if (target.charCodeAt(0) === 0x2f) {
    for (let i = 1; i < target.length; i++) {
      const c = target.charCodeAt(i);
      if (c > 0x3f) {
        // Letters and most path characters: only two of the characters above `?` matter.
        if (c === 0xa0 || c === 0xfeff) return legacyPathname(target);
        continue;
      }
      if (c === 0x3f) return target.slice(0, i);
      if (c === 0x23 || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) return legacyPathname(target);
    }
    return target;
  }
  return legacyPathname(target);
}

function legacyPathname(target: string): string | undefined {
  // Not origin-form: only a target the WHATWG parser accepts goes on to url.parse, which would throw on
  // `http://[` (Node 20) or print a DEP0170 warning per request for it (Node 24): refused either way.
  if (target === '*') return target; // asterisk-form (`OPTIONS *`): a valid target, no route's path
  if (target.charCodeAt(0) !== 0x2f && !URL.canParse(target)) return undefined;
  try {
    return parseurl({ url: target } as Parameters<typeof parseurl>[0])?.pathname ?? undefined;
  } catch {
    return undefined; // url.parse throws ERR_INVALID_URL (`http://[`): the routers would answer 400/500
  }
}

/** The router options of a Fastify instance that change which path find-my-way matches. */
export interface FastifyRouterFlags {
  readonly ignoreDuplicateSlashes?: boolean;
  readonly ignoreTrailingSlash?: boolean;
  readonly useSemicolonDelimiter?: boolean;
}

/**
 * find-my-way (Fastify 5) with the instance's router options: the path cut at `?`, `#` (and `;` with
 * `useSemicolonDelimiter`), percent-decoded except reserved characters and `%25` (decodeURI), duplicate
 * slashes merged and one trailing slash dropped when the options say so. Case needs no reading: CORS
 * route patterns match case-insensitively, like `caseSensitive: false`.
 */
export function fastifyPathReader(flags: FastifyRouterFlags = {}): PathReader {
  const semicolon = flags.useSemicolonDelimiter === true;
  const merge = flags.ignoreDuplicateSlashes === true;
  const trim = flags.ignoreTrailingSlash === true;
  return (target) => {
    let path = target.charCodeAt(0) === 0x2f || target === '*' ? target : absoluteFormPath(target);
    if (path === undefined) return undefined;
    const end = pathEnd(path, semicolon);
    // The usual target (no query, no escape) is its own path: one scan, no slice.
    if (end === -1 && !merge && !trim) return path;
    if (end !== -1) path = path.slice(0, end);
    if (path.indexOf('%') !== -1) {
      try {
        path = decodeURI(path.replace(/%25/g, '%2525')); // find-my-way keeps %25 and reserved escapes
      } catch {
        return undefined; // a malformed escape: Fastify answers 400 (FST_ERR_BAD_URL)
      }
    }
    if (merge && path.indexOf('//') !== -1) path = path.replace(/\/\/+/g, '/');
    if (trim && path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f) path = path.slice(0, -1);
    return path;
  };
}

/**
 * Index of the first `?` or `#` (or `;`); -1 when there is none and no `%` either (the path is then
 * final as it is); the path's length when there is none but a `%` to decode.
 */
function pathEnd(path: string, semicolon: boolean): number {
  let escaped = false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x3f || c === 0x23 || (semicolon && c === 0x3b)) return i;
    if (c === 0x25) escaped = true;
  }
  return escaped ? path.length : -1;
}

/**
 * The path of `http(s)://authority/path…`. Only that shape is read: find-my-way versions differ on
 * the rest (a `?` before the path, no path, a `#`), so those readings disagree and the target is
 * refused. Browsers never send absolute-form targets.
 */
function absoluteFormPath(target: string): string | undefined {
  const schemeEnd = target.indexOf('://');
  if (schemeEnd === -1) return undefined;
  const scheme = target.slice(0, schemeEnd).toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  const start = schemeEnd + 3;
  const slash = target.indexOf('/', start);
  const query = target.indexOf('?', start);
  if (slash <= start || (query !== -1 && query < slash) || target.indexOf('#', start) !== -1) return undefined;
  if (!URL.canParse(target)) return undefined;
  return target.slice(slash);
}

/**
 * What a backend behind the sidecar proxy does with a request target before it routes (docs/proxy.md,
 * "Backend profile"). `refuse` answers 400 where the backend's reading is not pinned down: a web
 * page cannot make the proxy judge one path while the backend runs another.
 */
export interface BackendProfile {
  /** `http://host/p` targets: routed on their path, or refused. */
  readonly absoluteForm: 'path' | 'refuse';
  /** Escapes other than `%2F` and `%5C`: `all` decoded once (WSGI servers, nginx, Go), only `unreserved` ones (RFC 3986 normalisation), or `none`. */
  readonly percentDecoding: 'all' | 'unreserved' | 'none';
  /** `%2F`: decoded into a separator, kept as a literal inside its segment, or refused. */
  readonly encodedSlash: 'decode' | 'keep' | 'refuse';
  /** `%5C`: decoded into a backslash (then read by `backslash`), kept, or refused. */
  readonly encodedBackslash: 'decode' | 'keep' | 'refuse';
  /** A `\` in the path: an ordinary character, a separator like `/` (Windows servers), or refused. */
  readonly backslash: 'literal' | 'separator' | 'refuse';
  /** `.` and `..` segments (also `%2e` once decoded): routed as written, resolved (RFC 3986), or refused. */
  readonly dotSegments: 'literal' | 'resolve' | 'refuse';
  readonly duplicateSlashes: 'keep' | 'merge';
  /** `;`: an ordinary character, the end of the path, or the start of a parameter that ends each segment (`/a;x=1/b` → `/a/b`). */
  readonly semicolon: 'literal' | 'end-of-path' | 'segment-parameters';
  readonly trailingSlash: 'significant' | 'ignored';
}

/** A reader for a backend profile. The common origin-form path with nothing to normalise is one scan and one slice. */
export function backendPathReader(profile: BackendProfile): PathReader {
  const semicolon = profile.semicolon !== 'literal';
  const backslash = profile.backslash !== 'literal';
  const merge = profile.duplicateSlashes === 'merge';
  const trim = profile.trailingSlash === 'ignored';
  return (target) => {
    let path = target.charCodeAt(0) === 0x2f ? target : profile.absoluteForm === 'path' ? rawAbsolutePath(target) : undefined;
    if (path === undefined) return undefined;
    // Anything a slice cannot read: an escape, a segment starting with `.`, and what the profile normalises.
    let special = false;
    for (let i = 1; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c === 0x3f || c === 0x23) {
        path = path.slice(0, i);
        break;
      }
      const previous = path.charCodeAt(i - 1);
      if (c === 0x25 || (c === 0x2e && previous === 0x2f) || (c === 0x3b && semicolon) || (c === 0x5c && backslash) || (c === 0x2f && previous === 0x2f && merge)) special = true;
    }
    if (!special && !(trim && path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f)) return path;
    return normalise(path, profile);
  };
}

/** The raw path of an http(s) absolute-form target, as a WSGI server splits it (no normalisation). */
function rawAbsolutePath(target: string): string | undefined {
  const schemeEnd = target.indexOf('://');
  const scheme = schemeEnd === -1 ? '' : target.slice(0, schemeEnd).toLowerCase();
  if ((scheme !== 'http' && scheme !== 'https') || !URL.canParse(target)) return undefined;
  const start = schemeEnd + 3;
  for (let i = start; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x2f) return target.slice(i);
    if (c === 0x3f || c === 0x23) break;
  }
  return '/';
}

function normalise(raw: string, profile: BackendProfile): string | undefined {
  let path = raw;
  if (profile.semicolon === 'end-of-path') {
    const semi = path.indexOf(';');
    if (semi !== -1) path = path.slice(0, semi);
  } else if (profile.semicolon === 'segment-parameters') {
    path = path.replace(/;[^/]*/g, '');
  }
  if (path.indexOf('%') !== -1) {
    const decoded = percentDecode(path, profile);
    if (decoded === undefined) return undefined;
    path = decoded;
  }
  if (path.indexOf('\\') !== -1) {
    if (profile.backslash === 'refuse') return undefined;
    if (profile.backslash === 'separator') path = path.replace(/\\/g, '/');
  }
  if (profile.duplicateSlashes === 'merge' && path.indexOf('//') !== -1) path = path.replace(/\/\/+/g, '/');
  if (hasDotSegment(path)) {
    if (profile.dotSegments === 'refuse') return undefined;
    if (profile.dotSegments === 'resolve') path = removeDotSegments(path);
  }
  if (profile.trailingSlash === 'ignored') path = path.replace(/(.)\/+$/, '$1');
  return path;
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** One pass of percent-decoding under the profile; decoded bytes are read as UTF-8 (invalid → U+FFFD, never ASCII). */
function percentDecode(path: string, profile: BackendProfile): string | undefined {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += Buffer.from(bytes).toString('utf8');
    bytes = [];
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    const hex = c === '%' ? path.slice(i + 1, i + 3) : '';
    if (!HEX.test(hex)) {
      flush();
      out += c; // not an escape (`%zz`, a trailing `%`): WSGI servers leave it as written
      continue;
    }
    const byte = parseInt(hex, 16);
    const kept = keepEscape(byte, profile);
    if (kept === 'refuse') return undefined;
    i += 2;
    if (kept) {
      flush();
      out += `%${hex.toUpperCase()}`;
    } else {
      bytes.push(byte);
    }
  }
  flush();
  return out;
}

/** Whether the escape of `byte` stays an escape (true), is decoded (false), or refuses the target. */
function keepEscape(byte: number, profile: BackendProfile): boolean | 'refuse' {
  if (byte === 0x2f || byte === 0x5c) {
    const rule = byte === 0x2f ? profile.encodedSlash : profile.encodedBackslash;
    return rule === 'refuse' ? 'refuse' : rule === 'keep';
  }
  if (profile.percentDecoding === 'all') return false;
  if (profile.percentDecoding === 'none') return true;
  return !isUnreserved(byte);
}

function isUnreserved(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x2e || byte === 0x5f || byte === 0x7e;
}

function hasDotSegment(path: string): boolean {
  return /(^|\/)\.\.?(\/|$)/.test(path);
}

/** RFC 3986 §5.2.4 on a path that starts with `/`; `..` above the root stays at the root. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string;
    const last = i === segments.length - 1;
    if (s === '..') out.pop();
    if (s === '.' || s === '..') {
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}`;
}

/**
 * A path a server already decoded and normalised before logging or routing it (nginx's `$uri`): routed
 * as it is. A `?` or `%` in it is a literal character, so nothing is cut or decoded; only a path that
 * does not start with `/` is not one.
 */
export function decodedPathReading(path: string): string | undefined {
  if (path === '') return '/';
  return path.charCodeAt(0) === 0x2f ? path : undefined;
}
