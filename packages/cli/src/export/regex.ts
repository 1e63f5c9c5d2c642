/**
 * The regular expressions an edge needs to decide as the middleware does: PCRE (nginx, HAProxy) and
 * RE2 (Caddy) read these alike — no lookarounds, no back-references, no Unicode classes. Each mirrors
 * one function of the library, named beside it; test/export/regex.test.ts compares them on generated input.
 */
import type { RoutePattern } from 'cors-sentinel/internal/policy/routes';
import { MAX_ORIGIN_LENGTH } from 'cors-sentinel/internal/origin/parse';
import { MAX_EMPTY_REQUEST_HEADER_ELEMENTS, MAX_REQUEST_HEADERS_COUNT, MAX_REQUEST_HEADERS_LENGTH } from 'cors-sentinel/internal/http/tokens';
import type { EdgeRoute, EdgeWildcard } from './plan';

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443', ws: '80', wss: '443' };

export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, (c) => `\\${c}`);
}

/**
 * Every spelling parseRequestOrigin() normalises to `origin` (scheme and host in any case, the default
 * port written out, leading zeros in the port): case-insensitive, to be used with the `i` flag.
 * `null` is the one exception: only the exact text `null` is the null origin.
 */
export function exactOriginSource(origin: string): { source: string; caseInsensitive: boolean } {
  if (origin === 'null') return { source: 'null', caseInsensitive: false };
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*?)(?::(\d+))?$/.exec(origin);
  const [scheme, host, port] = m ? [m[1] as string, m[2] as string, m[3]] : [origin, '', undefined];
  const defaultPort = DEFAULT_PORTS[scheme.slice(0, -3)];
  const portPart = port !== undefined ? `:${zeros(port)}${port}` : defaultPort !== undefined ? `(?::${zeros(defaultPort)}${defaultPort})?` : '';
  return { source: `${escapeRegex(scheme)}${escapeRegex(host)}${portPart}`, caseInsensitive: true };
}

/** Leading zeros parseRequestOrigin() accepts: a port has at most five digits. */
function zeros(port: string): string {
  const room = 5 - port.length;
  return room === 0 ? '' : `0{0,${room}}`;
}

/** `count` characters or more, within RE2's bound of 1000 per repetition (Caddy's Go regexp). */
function atLeast(count: number): string {
  const parts: string[] = [];
  for (let left = count; left > 0; left -= 1000) parts.push(`[\\s\\S]{${Math.min(left, 1000)}}`);
  return parts.join('');
}

/**
 * The origins matchOrigin() grants for `scheme://*.suffix[:port]`, as browsers serialise them (lower
 * case, default port elided): one or more whole host labels before the suffix. Case-sensitive on
 * purpose — an edge cannot lower-case what it echoes, so other spellings are refused (docs/edge.md).
 */
export function wildcardOriginSource(w: EdgeWildcard): string {
  const port = w.port === '' ? '' : `:${w.port}`;
  return `${escapeRegex(w.scheme)}://[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*\\.${escapeRegex(w.suffix)}${port}`;
}

/**
 * A route's allowed origins as one anchored source, for edges that echo the Origin they matched (Traefik,
 * Envoy): exact origins only as browsers serialise them (case-sensitive, default port elided), since the
 * echo cannot be normalised; other spellings are refused (docs/edge.md).
 */
export function echoedOriginsSource(r: Pick<EdgeRoute, 'exact' | 'wildcards'>): string {
  return `^(?:${[...r.exact.map(escapeRegex), ...r.wildcards.map(wildcardOriginSource)].join('|')})$`;
}

/** An Origin longer than this is invalid whatever it says (parseRequestOrigin's cap). */
export const ORIGIN_TOO_LONG = atLeast(MAX_ORIGIN_LENGTH + 1);

/**
 * The path patterns of policy/routes.ts, case-insensitive like routeMatches() on the lower-cased path.
 * They read the path as received (not percent-decoded, dot segments and slashes kept), which is what the
 * edges forward and what the upstream routes on; `withQuery`: the subject is the request target, query included.
 */
export function routePathSource(p: RoutePattern, withQuery = false): string {
  const literal = escapeRegex(p.literal);
  const end = withQuery ? '(?:\\?|$)' : '$';
  switch (p.kind) {
    case 'exact':
      return `^${literal}/?${end}`;
    case 'subtree':
      return `^${literal}(?:/|${withQuery ? '\\?|' : ''}$)`;
    case 'prefix':
      return `^${literal}`;
  }
}

/** The safelisted and configured methods: exact, case-sensitive tokens like the engine's Set lookup. */
export function methodsSource(methods: readonly string[]): string {
  return `(?:${methods.map(escapeRegex).join('|')})`;
}

const OWS = '[ \\t]*';
const EMPTY = OWS;
const NAME = `${OWS}[^, \\t][^,]*`;

/**
 * What parseRequestedHeaders() refuses as too large, as three alternatives anchored at the value's
 * start: over-long, more than 16 empty elements, more than 32 names.
 */
export const REQUEST_HEADERS_TOO_LARGE: readonly string[] = [
  atLeast(MAX_REQUEST_HEADERS_LENGTH + 1),
  `(?:(?:${NAME},)*${EMPTY},){${MAX_EMPTY_REQUEST_HEADER_ELEMENTS}}(?:${NAME},)*${EMPTY}(?:,|$)`,
  `(?:(?:${EMPTY},)*${NAME},){${MAX_REQUEST_HEADERS_COUNT}}(?:${EMPTY},)*${NAME}(?:,|$)`,
];

/** A comma list whose every element is empty or an allowed name (case-insensitive: use the `i` flag). */
export function allowedHeadersSource(names: readonly string[]): string {
  const element = `${OWS}(?:${names.map(escapeRegex).join('|')})?${OWS}`;
  return `${element}(?:,${element})*$`;
}
