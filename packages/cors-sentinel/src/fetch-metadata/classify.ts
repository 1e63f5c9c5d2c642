/**
 * Where an unsafe request comes from, as Fetch Metadata tells it: pure, framework-free, no I/O.
 *
 * CORS decides whether a page may *read* a response; it does not stop a form POST or a
 * `fetch(…, { mode: 'no-cors' })` from reaching the handler with the user's cookies. Browsers label
 * every request with `Sec-Fetch-Site`; this module turns that (or, where it is missing, `Origin`
 * against `Host`) into a site and says whether the request must come from a trusted origin.
 *
 * The rules follow Go 1.25's `net/http.CrossOriginProtection`:
 * - GET, HEAD and OPTIONS are safe and never judged;
 * - `Sec-Fetch-Site: same-origin` or `none` (typed URL, bookmark) passes; any other value,
 *   `same-site` included, must come from a trusted origin;
 * - without `Sec-Fetch-Site` (older browsers, non-browser clients): no `Origin` → not a browser
 *   cross-site request, pass; `Origin` naming the `Host` → same origin, pass; anything else must be trusted.
 */
import { knownScheme, type Connection, type ConnectionReader, type RequestHandle, type SchemeReader } from '../engine/decision';
import { getDomain } from '../origin/public-suffix';
import { matchOrigin, type CompiledOrigins } from '../origin/matcher';
import { parseRequestOrigin } from '../origin/parse';
import { isSameOrigin } from '../origin/same-origin';
import type { CompiledProtection } from '../policy/cross-origin-protection';
import { routeMatches } from '../policy/routes';

/** The `site` label: a fixed set. `unknown` is a `Sec-Fetch-Site` no browser sends, or an unparseable Origin. */
export const SITES = ['same-origin', 'same-site', 'cross-site', 'none', 'unknown'] as const;
export type Site = (typeof SITES)[number];

/** The `decision` label: a fixed set. */
export const PROTECTION_DECISIONS = ['allowed', 'would_block', 'blocked'] as const;
export type ProtectionDecision = (typeof PROTECTION_DECISIONS)[number];

/** What the classifier reads of a request. Header values as received, or undefined. */
export interface FetchMetadataRequest {
  readonly method: string;
  readonly origin: string | undefined;
  readonly host?: string | undefined;
  /** The request's scheme when it is certain (a TLS socket): an http page is then not the https API's own. */
  readonly scheme?: 'http' | 'https' | undefined;
  /** The scheme a trusted proxy reports (CorsRequest.forwardedScheme), read from `raw` only when needed. */
  readonly forwardedScheme?: SchemeReader | undefined;
  /** The connection, or its reader (CorsRequest.connection, connectionOf): `https` on a TLS socket. */
  readonly connection?: Connection | null | undefined;
  readonly connectionOf?: ConnectionReader | undefined;
  readonly raw?: RequestHandle;
  readonly secFetchSite?: string | undefined;
}

export interface Classification {
  readonly site: Site;
  /** The request may go on only if its origin is trusted (or its path is bypassed). */
  readonly needsTrust: boolean;
  /** How the site was found: the browser's header, or Origin compared with Host. */
  readonly by: 'sec-fetch-site' | 'origin' | 'no-browser-signal';
}

/** Exactly these methods are safe (Go compares them exactly too: a lower-case `post` is judged). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const of = (site: Site, needsTrust: boolean, by: Classification['by']): Classification => Object.freeze({ site, needsTrust, by });

/** A Map, not an object: `Sec-Fetch-Site: constructor` must not find Object's prototype. */
const BY_HEADER: ReadonlyMap<string, Classification> = new Map([
  ['same-origin', of('same-origin', false, 'sec-fetch-site')],
  ['none', of('none', false, 'sec-fetch-site')],
  ['same-site', of('same-site', true, 'sec-fetch-site')],
  ['cross-site', of('cross-site', true, 'sec-fetch-site')],
]);
/** A value no browser sends (forged, repeated, mis-cased): fail closed, as Go does. */
const UNKNOWN_HEADER = of('unknown', true, 'sec-fetch-site');
const NO_BROWSER_SIGNAL = of('none', false, 'no-browser-signal');
const SAME_ORIGIN_BY_ORIGIN = of('same-origin', false, 'origin');
const SAME_SITE_BY_ORIGIN = of('same-site', true, 'origin');
const CROSS_SITE_BY_ORIGIN = of('cross-site', true, 'origin');
const UNKNOWN_ORIGIN = of('unknown', true, 'origin');

/** The classification of an unsafe request; undefined for GET, HEAD and OPTIONS, which are never judged. */
export function classifyRequest(req: FetchMetadataRequest): Classification | undefined {
  if (SAFE_METHODS.has(req.method)) return undefined;
  const header = req.secFetchSite;
  if (header !== undefined && header !== '') return BY_HEADER.get(header) ?? UNKNOWN_HEADER;
  const origin = req.origin;
  if (origin === undefined || origin === '') return NO_BROWSER_SIGNAL;
  // Host has no scheme, so unless the socket (TLS) or a trusted proxy tells, an http page posting to the
  // https API looks same-origin here. Go fails open the same way: every browser since 2023 sends
  // Sec-Fetch-Site, and HSTS closes that gap.
  if (isSameOrigin(origin, req.host) && isSameOrigin(origin, req.host, knownScheme(req))) return SAME_ORIGIN_BY_ORIGIN;
  // The opaque origin of sandboxed iframes, data: URLs and some redirects: any site can produce it.
  if (origin === 'null') return CROSS_SITE_BY_ORIGIN;
  const parsed = parseRequestOrigin(origin);
  if (parsed === undefined) return UNKNOWN_ORIGIN;
  return sameRegistrableDomain(parsed.host, hostName(req.host)) ? SAME_SITE_BY_ORIGIN : CROSS_SITE_BY_ORIGIN;
}

/**
 * Whether two hosts share a registrable domain (the public suffix list, private domains included,
 * as Chromium uses it). Only the `site` label depends on it: same-site and cross-site are judged alike.
 */
function sameRegistrableDomain(a: string, b: string | undefined): boolean {
  if (b === undefined || b === '') return false;
  if (a === b) return true;
  const da = getDomain(a, { allowPrivateDomains: true });
  return da !== null && da === getDomain(b, { allowPrivateDomains: true });
}

/** The host name of a Host header, lower-cased, without the port (IPv6 literals keep their brackets). */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/** The route a request falls under: its metric label and, when the CORS policy's origins are trusted, those origins. */
export interface ProtectedRoute {
  readonly name: string;
  readonly origins: CompiledOrigins | undefined;
}

/** The protection's judgement of an unsafe request, and what led to it (for `explain`). */
export interface Judgement extends Classification {
  readonly route: ProtectedRoute;
  readonly decision: ProtectionDecision;
  /** The path is one of the `bypass` patterns. */
  readonly bypassed: boolean;
  /** The origin is trusted (trustedOrigins, or the route's CORS origins with trustCorsOrigins). */
  readonly trusted: boolean;
}

/**
 * The judgement on a request; undefined for GET, HEAD and OPTIONS, which are never judged (nor is their
 * route looked up: the hot path). Pure: the protector counts and logs it, `explain` describes it.
 */
export function judgeRequest(
  compiled: CompiledProtection,
  req: FetchMetadataRequest & { readonly path: string },
  routeOf: (path: string) => ProtectedRoute,
): Judgement | undefined {
  const c = classifyRequest(req);
  if (c === undefined) return undefined;
  const route = routeOf(req.path);
  const bypassed = c.needsTrust && isBypassed(compiled, req.path);
  const trusted = c.needsTrust && !bypassed && isTrusted(compiled, req.origin, route);
  const allowed = !c.needsTrust || bypassed || trusted;
  const decision: ProtectionDecision = allowed ? 'allowed' : compiled.mode === 'enforce' ? 'blocked' : 'would_block';
  return { ...c, route, decision, bypassed, trusted };
}

function isBypassed(compiled: CompiledProtection, path: string): boolean {
  if (compiled.bypass.length === 0) return false;
  const lower = path.toLowerCase();
  return compiled.bypass.some((pattern) => routeMatches(pattern, lower));
}

/** Trusted: a parseable origin the extra list or (with trustCorsOrigins) the route's CORS origins name, never through '*'. */
function isTrusted(compiled: CompiledProtection, origin: string | undefined, route: ProtectedRoute): boolean {
  if (origin === undefined || origin === 'null') return false;
  // Browsers send origins normalised, so an exactly listed origin is one Set lookup, no parse.
  const cors = compiled.trustCorsOrigins ? route.origins : undefined;
  if (compiled.trusted.exact.has(origin) || cors?.exact.has(origin) === true) return true;
  const parsed = parseRequestOrigin(origin);
  if (parsed === undefined) return false;
  const named = (origins: CompiledOrigins | undefined): boolean => {
    const m = origins === undefined ? undefined : matchOrigin(origins, parsed);
    return m !== undefined && m.kind !== 'any';
  };
  return named(compiled.trusted) || named(cors);
}
