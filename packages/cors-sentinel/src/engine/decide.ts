/**
 * The CORS decision: pure, framework-free, synchronous unless an uncached origin must be resolved.
 * It predicts what the browser will do with the answer; adapters only write what it says.
 */
import type { CompiledPolicy, CompiledRoutePolicy, ExactGrant, HeaderVerdict } from './compiled';
import { isLoopbackHost, parseRequestOrigin, type ParsedOrigin } from '../origin/parse';
import { matchOrigin } from '../origin/matcher';
import { isSameOrigin } from '../origin/same-origin';
import { parseRequestedHeaders, SAFELISTED_METHODS } from '../http/tokens';
import { routeMatches } from '../policy/routes';
import type { ResolverOutcome } from './resolver-cache';
import {
  INVALID_ORIGIN_LABEL,
  type CorsRequest,
  type Decision,
  type HeaderPair,
  type OriginSource,
  type Reason,
  type RequestType,
  socketScheme,
} from './decision';
import { grantedDecision, rejection } from './decision-builder';
import { hostRefusal, isHostAllowed } from './host-allowlist';

const ACAO = 'Access-Control-Allow-Origin';

/** The route policy that applies to a path: the first (most specific) match, else the default. */
export function selectRoute(policy: CompiledPolicy, path: string): CompiledRoutePolicy {
  const routes = policy.routes;
  if (routes.length === 0) return policy.defaultRoute;
  const lower = path.toLowerCase();
  for (const route of routes) {
    if (route.pattern !== undefined && routeMatches(route.pattern, lower)) return route;
  }
  return policy.defaultRoute;
}

export function decide(policy: CompiledPolicy, req: CorsRequest): Decision | Promise<Decision> {
  const route = selectRoute(policy, req.path);
  // DNS rebinding (localServer): a foreign Host is refused whatever its Origin, before anything else.
  if (policy.hosts !== undefined && !isHostAllowed(policy.hosts, req)) return hostRefusal(route, req);
  const origin = req.origin;
  if (origin === undefined || route.originPolicy === 'disabled') return route.nonCors;

  // Preflight = OPTIONS + Origin + Access-Control-Request-Method; any other OPTIONS is the app's.
  const type: RequestType = req.method === 'OPTIONS' && req.accessControlRequestMethod !== undefined ? 'preflight' : 'actual';
  if (type === 'actual' && isSameOrigin(origin, req.host)) {
    // The scheme is read only here: most requests never need the connection.
    const scheme = socketScheme(req);
    if (scheme === undefined) return sameHost(route, req, origin);
    // On a TLS socket: the API's own page when the scheme matches (browsers do not CORS-check it).
    if (isSameOrigin(origin, req.host, scheme)) return route.nonCors;
  }
  return judgeOrigin(route, req, type, origin);
}

/**
 * An actual request on a plain socket whose http(s) Origin names the request's own host and port. If a
 * proxy the framework trusts reports the scheme (only `https` is ever reported), the Origin is the API's
 * own page when its scheme matches (browsers do not CORS-check it, and a page on another scheme could not
 * make it match) and a cross-origin caller when not (an http page calling the https API): judged. If the
 * scheme is unknown, either may be true: a grant the policy gives is never withheld, and a refusal
 * becomes "not CORS" so that the API's own page is neither counted nor blocked as a violation. Read here
 * only, never per request: Express's `protocol` runs an address check.
 */
function sameHost(route: CompiledRoutePolicy, req: CorsRequest, origin: string): Decision | Promise<Decision> {
  const forwarded = req.forwardedScheme?.(req.raw);
  if (forwarded !== undefined) return isSameOrigin(origin, req.host, forwarded) ? route.nonCors : judgeOrigin(route, req, 'actual', origin);
  const judged = judgeOrigin(route, req, 'actual', origin);
  return judged instanceof Promise ? judged.then((d) => grantedOr(d, route.nonCors)) : grantedOr(judged, route.nonCors);
}

function grantedOr(decision: Decision, fallback: Decision): Decision {
  return decision.outcome === 'allowed' ? decision : fallback;
}

/** The CORS decision for a request that carries an Origin on a route with CORS. */
function judgeOrigin(route: CompiledRoutePolicy, req: CorsRequest, type: RequestType, origin: string): Decision | Promise<Decision> {
  // Fast path: an exactly listed origin, sent as browsers send it (normalised), has its answers
  // precomputed; parseRequestOrigin() of it would return it unchanged and matchOrigin() 'exact'.
  const exact = route.anyOnly ? undefined : exactGrantOf(route, origin);
  if (exact !== undefined) {
    if (type === 'actual') return req.hasCookie === true && !route.credentials ? exact.actualRefused : exact.actual;
    return grantPreflight(route, req, origin, 'exact', undefined, origin, exact.preflight);
  }

  if (route.anyOnly) {
    // "*" answers every origin alike (so no Vary: Origin is needed); only a credentialed request fails.
    const label = origin === 'null' ? 'null' : (parseRequestOrigin(origin)?.origin ?? INVALID_ORIGIN_LABEL);
    return grant(route, req, type, label, 'any', undefined, '*');
  }
  if (origin === 'null') {
    if (!route.origins.allowNull) return reject(route, type, 'null_origin', 'null', undefined);
    return grant(route, req, type, 'null', 'null', undefined, 'null');
  }
  const parsed = parseRequestOrigin(origin);
  if (parsed === undefined) return reject(route, type, 'invalid_origin', INVALID_ORIGIN_LABEL, undefined);

  const match = matchOrigin(route.origins, parsed);
  if (match !== undefined) return checkAndGrant(route, req, type, parsed, match.kind, match.pattern);
  if (route.reflectAny) return checkAndGrant(route, req, type, parsed, 'any', undefined);
  if (route.resolver === undefined) return reject(route, type, 'origin_not_allowed', parsed.origin, undefined);

  let tenant: string | undefined;
  if (route.tenantOf !== undefined) {
    tenant = route.tenantOf(req);
    // No tenant, nothing to look up: a request cannot make us query for a tenant it does not name.
    if (tenant === undefined) return reject(route, type, 'origin_not_allowed', parsed.origin, undefined);
  }
  const outcome = route.resolver.resolve(parsed.origin, req.raw, tenant);
  if (typeof outcome === 'string') return afterResolve(route, req, type, parsed, outcome);
  return outcome.then((o) => afterResolve(route, req, type, parsed, o));
}

/** The precomputed answers for an exactly listed origin, or undefined (see lastExactGrant). */
function exactGrantOf(route: CompiledRoutePolicy, origin: string): ExactGrant | undefined {
  const last = route.lastExactGrant;
  if (last.origin === origin) return last.grant;
  const grant = route.exactGrants.get(origin);
  last.origin = origin;
  last.grant = grant;
  return grant;
}

function afterResolve(route: CompiledRoutePolicy, req: CorsRequest, type: RequestType, parsed: ParsedOrigin, outcome: ResolverOutcome): Decision {
  switch (outcome) {
    case 'allowed':
      return checkAndGrant(route, req, type, parsed, 'resolver', undefined);
    case 'denied':
      return reject(route, type, 'origin_not_allowed', parsed.origin, 'resolver');
    case 'error':
      return reject(route, type, 'resolver_error', parsed.origin, 'resolver');
    case 'timeout':
      return reject(route, type, 'resolver_timeout', parsed.origin, 'resolver');
  }
}

function checkAndGrant(
  route: CompiledRoutePolicy,
  req: CorsRequest,
  type: RequestType,
  parsed: ParsedOrigin,
  source: OriginSource,
  pattern: string | undefined,
): Decision {
  // Exact origins were vetted at start-up; patterns and resolvers can admit plain-http origins at run time.
  if (
    route.credentials &&
    source !== 'exact' &&
    parsed.scheme === 'http' &&
    !route.allowInsecureWithCredentials &&
    !isLoopbackHost(parsed.host)
  ) {
    return reject(route, type, 'insecure_origin', parsed.origin, source);
  }
  return grant(route, req, type, parsed.origin, source, pattern, parsed.origin);
}

function grant(
  route: CompiledRoutePolicy,
  req: CorsRequest,
  type: RequestType,
  origin: string,
  source: OriginSource,
  pattern: string | undefined,
  allowOrigin: string,
): Decision {
  if (type === 'actual') {
    const headers: HeaderPair[] = [[ACAO, allowOrigin], ...route.actualHeaders];
    // Cookies come only with `credentials: 'include'`; without Access-Control-Allow-Credentials the
    // browser will refuse the response. The headers stay the same so that caches see one answer.
    const refused = req.hasCookie === true && !route.credentials;
    return grantedDecision(route.name, 'actual', origin, source, pattern, headers, route.actualVary, undefined, true, refused);
  }

  return grantPreflight(route, req, origin, source, pattern, allowOrigin, undefined);
}

/** An allowed origin's preflight: method, headers and PNA checks; `base` is the precomputed answer when nothing is echoed. */
function grantPreflight(
  route: CompiledRoutePolicy,
  req: CorsRequest,
  origin: string,
  source: OriginSource,
  pattern: string | undefined,
  allowOrigin: string,
  base: Decision | undefined,
): Decision {
  const type: RequestType = 'preflight';
  const method = req.accessControlRequestMethod as string;
  // Browsers accept the safelisted methods whatever Access-Control-Allow-Methods says.
  if (!route.methods.has(method) && !SAFELISTED_METHODS.has(method)) return reject(route, type, 'method_not_allowed', origin, source, pattern, method);

  let echoedHeaders: string | undefined;
  const requested = req.accessControlRequestHeaders;
  if (requested !== undefined && requested !== '') {
    const verdict = requestHeaderVerdict(route, requested);
    if (!verdict.ok) return reject(route, type, verdict.reason, origin, source, pattern, verdict.offending);
    echoedHeaders = verdict.echoed;
  }
  const wantsPrivateNetwork = req.accessControlRequestPrivateNetwork === 'true';
  // Exact origins were vetted at start-up; a pattern or resolver may admit a plain-http origin, which
  // browsers never let ask for the private network (not a secure context) and anyone on its path can forge.
  if (wantsPrivateNetwork && (!route.privateNetworkAccess || (source !== 'exact' && isInsecureOrigin(origin)))) {
    return reject(route, type, 'private_network_not_allowed', origin, source, pattern);
  }
  if (base !== undefined && (echoedHeaders === undefined || echoedHeaders === '') && !wantsPrivateNetwork) return base;

  const headers: HeaderPair[] = [[ACAO, allowOrigin], ...route.preflightHeaders];
  if (echoedHeaders !== undefined && echoedHeaders !== '') headers.push(['Access-Control-Allow-Headers', echoedHeaders]);
  if (wantsPrivateNetwork) headers.push(['Access-Control-Allow-Private-Network', 'true']);
  return grantedDecision(route.name, 'preflight', origin, source, pattern, headers, route.preflightVary, route.preflightStatus, route.preflightContinue, false);
}

/** A normalised plain-http origin whose host is not loopback (`null` and custom schemes are not http). */
function isInsecureOrigin(origin: string): boolean {
  if (!origin.startsWith('http://')) return false;
  const parsed = parseRequestOrigin(origin);
  return parsed === undefined || !isLoopbackHost(parsed.host);
}

/** Memo bounds: request text is attacker-controlled, so only this many short values are kept. */
const MAX_VERDICTS = 64;
const MAX_VERDICT_KEY_LENGTH = 256;

/** The route's answer to an `Access-Control-Request-Headers` value (memoised: browsers repeat a few values). */
function requestHeaderVerdict(route: CompiledRoutePolicy, requested: string): HeaderVerdict {
  // A client asks the same thing preflight after preflight: comparing with the last value costs less
  // than hashing a fresh header string for the map.
  const last = route.lastHeaderVerdict;
  if (last.requested === requested && last.verdict !== undefined) return last.verdict;
  const memo = route.requestHeaderVerdicts;
  let verdict = memo.get(requested);
  if (verdict === undefined) {
    verdict = judgeRequestedHeaders(route, requested);
    if (memo.size >= MAX_VERDICTS || requested.length > MAX_VERDICT_KEY_LENGTH) return verdict;
    memo.set(requested, verdict);
  }
  last.requested = requested;
  last.verdict = verdict;
  return verdict;
}

function judgeRequestedHeaders(route: CompiledRoutePolicy, requested: string): HeaderVerdict {
  const parsed = parseRequestedHeaders(requested);
  if (!parsed.ok) return { ok: false, reason: parsed.tooLarge ? 'headers_too_large' : 'header_not_allowed' };
  if (route.anyRequestHeader) {
    if (route.authorizationNeedsListing && parsed.names.includes('authorization')) return { ok: false, reason: 'header_not_allowed', offending: 'authorization' };
    return { ok: true, echoed: parsed.names.join(', ') };
  }
  for (const name of parsed.names) {
    if (!route.allowedHeaders.has(name)) return { ok: false, reason: 'header_not_allowed', offending: name };
  }
  return { ok: true, echoed: undefined };
}

function reject(
  route: CompiledRoutePolicy,
  type: RequestType,
  reason: Reason,
  origin: string,
  source: OriginSource | undefined,
  pattern?: string,
  offending?: string,
): Decision {
  const preflight = type === 'preflight';
  return rejection(
    route.name, type, reason, origin, source, pattern,
    // The answer depended on these request headers, rejections included (a cache must not reuse it).
    preflight ? route.preflightVary : route.actualVary,
    preflight || route.rejectActualRequests ? route.rejectedStatus : undefined,
    !preflight && !route.rejectActualRequests,
    offending,
  );
}
