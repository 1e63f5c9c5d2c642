/**
 * From a validated policy to what an edge must do, route by route — or the named reasons why an edge
 * cannot do it exactly. The headers come from the compiled policy the middleware runs, so the edge
 * writes the same values in the same order; only what an edge can decide without Node is accepted.
 */
import { compilePolicy } from 'cors-sentinel/adapter-kit';
import type { CompiledRoutePolicy } from 'cors-sentinel/internal/engine/compiled';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';
import { SAFELISTED_METHODS } from 'cors-sentinel/internal/http/tokens';

/** Why an edge cannot enforce part of a policy exactly (docs/edge.md lists them). */
export const REFUSAL_CODES = [
  'origin_resolver', 'origin_store', 'tenant_from', 'callback_origin', 'regexp_origin', 'reflect_any_origin',
  'echoed_request_headers', 'private_network_access', 'preflight_continue', 'reject_actual_requests',
  'report_only', 'local_server', 'cross_origin_protection', 'gateway_api_routes', 'gateway_api_origin', 'gateway_api_method',
  'traefik_routes', 'traefik_rule_text', 'traefik_vary', 'envoy_vary',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface Refusal {
  readonly route: string;
  readonly code: RefusalCode;
  readonly message: string;
}

/** A wildcard origin: one or more whole host labels before `suffix`, for `scheme`, with `port` ('' = default). */
export interface EdgeWildcard {
  readonly scheme: string;
  readonly suffix: string;
  readonly port: string;
}

/**
 * The compiled route's own answers (headers after Access-Control-Allow-Origin in the middleware's order,
 * Vary lists, statuses; `pattern` undefined for the default route, `anyOnly` for `*` alone), and what an
 * edge needs besides.
 */
export interface EdgeRoute extends Pick<CompiledRoutePolicy,
  'name' | 'pattern' | 'anyOnly' | 'actualHeaders' | 'preflightHeaders' | 'actualVary' | 'preflightVary' | 'preflightStatus' | 'rejectedStatus'> {
  /** CORS off on this route (`origin: false`): the edge neither answers nor sets anything. */
  readonly disabled: boolean;
  /** Normalised exact origins (`null` included when it is allowed). */
  readonly exact: readonly string[];
  readonly wildcards: readonly EdgeWildcard[];
  /** Methods a preflight may ask for (the configured ones and the safelisted ones). */
  readonly methods: readonly string[];
  /** Lower-case header names a preflight may ask for. */
  readonly allowedHeaders: readonly string[];
}

export interface EdgePlan {
  /** Most specific first, the default route last. */
  readonly routes: readonly EdgeRoute[];
  readonly refusals: readonly Refusal[];
}

/** Top-level options whose work happens in Node: refused by name, never dropped in silence. */
const TOP_LEVEL_REFUSALS: ReadonlyArray<readonly [keyof CorsSentinelOptions, RefusalCode, string]> = [
  ['reportOnly', 'report_only', 'a report-only candidate is evaluated beside the live policy in Node; an edge cannot count what it would change'],
  ['localServer', 'local_server', 'the localServer Host allowlist checks the port a connection arrived on and answers every method; export the plain policy instead'],
  ['crossOriginProtection', 'cross_origin_protection', 'Fetch Metadata protection is not part of the exported CORS layer; keep it in the application'],
];

export function planEdge(options: CorsSentinelOptions): EdgePlan {
  const refusals: Refusal[] = [];
  for (const [key, code, message] of TOP_LEVEL_REFUSALS) {
    if (options[key] !== undefined && options[key] !== false) refusals.push({ route: '(policy)', code, message });
  }
  const policy = compilePolicy({ ...options, metrics: false, logger: false });
  const routes = [...policy.routes, policy.defaultRoute].map((r) => edgeRoute(r, refusals));
  return { routes, refusals };
}

function edgeRoute(route: CompiledRoutePolicy, refusals: Refusal[]): EdgeRoute {
  const refuse = (code: RefusalCode, message: string): void => void refusals.push({ route: route.name, code, message });
  for (const [code, message] of routeRefusals(route)) refuse(code, message);
  const exact: string[] = [];
  const wildcards: EdgeWildcard[] = [];
  for (const entry of route.origins.entries) {
    if (entry.kind === 'exact') exact.push(entry.origin);
    else if (entry.kind === 'wildcard') wildcards.push(wildcardOf(entry.scheme, entry.suffix));
    else if (entry.kind === 'regexp') refuse('regexp_origin', `${entry.pattern}: a JavaScript RegExp (run on RE2 by the middleware) is not read the same way by an edge's regex engine; list the origins or use https://*.domain wildcards`);
  }
  if (route.origins.allowNull) exact.push('null');
  return {
    name: route.name,
    pattern: route.pattern,
    disabled: route.originPolicy === 'disabled',
    anyOnly: route.anyOnly,
    exact,
    wildcards,
    methods: [...new Set([...route.methods, ...SAFELISTED_METHODS])],
    allowedHeaders: [...route.allowedHeaders],
    actualHeaders: route.actualHeaders,
    preflightHeaders: route.preflightHeaders,
    actualVary: route.actualVary,
    preflightVary: route.preflightVary,
    preflightStatus: route.preflightStatus,
    rejectedStatus: route.rejectedStatus,
  };
}

function routeRefusals(route: CompiledRoutePolicy): Array<readonly [RefusalCode, string]> {
  const out: Array<readonly [RefusalCode, string]> = [];
  const s = route.summary;
  if (route.originPolicy === 'disabled') return out;
  if (s.tenantFrom !== undefined) out.push(['tenant_from', 'tenant ids pick per-tenant origins from a resolver or store at request time; an edge has no such lookup']);
  if (route.storeCache !== undefined) out.push(['origin_store', 'origins from a database change at run time; an edge config is fixed when it is written']);
  else if (s.callbackOrigins === true) out.push(['callback_origin', 'an origin(o, cb) callback runs in Node; an edge cannot call it']);
  else if (route.resolver !== undefined) out.push(['origin_resolver', 'resolveOrigin runs in Node at request time; an edge cannot call it']);
  if (route.reflectAny) out.push(['reflect_any_origin', 'reflecting every origin is refused at the edge (it is only dangerously allowed in the middleware)']);
  if (route.anyRequestHeader) out.push(['echoed_request_headers', 'allowedHeaders "*" or dangerouslyReflectRequestHeaders echoes the validated, lower-cased request names; an edge would echo request text. List the headers']);
  if (route.privateNetworkAccess) out.push(['private_network_access', 'Private Network Access grants depend on how the origin matched; not exported']);
  if (route.preflightContinue) out.push(['preflight_continue', 'the edge answers every preflight itself (never forwarded)']);
  if (route.rejectActualRequests) out.push(['reject_actual_requests', 'rejecting actual requests is not exported; keep it in the application']);
  return out;
}

/** `suffix` may carry the pattern's port (`example.com:8443`). */
function wildcardOf(scheme: string, suffixWithPort: string): EdgeWildcard {
  const colon = suffixWithPort.lastIndexOf(':');
  const hasPort = colon !== -1 && /^\d+$/.test(suffixWithPort.slice(colon + 1));
  return { scheme, suffix: hasPort ? suffixWithPort.slice(0, colon) : suffixWithPort, port: hasPort ? suffixWithPort.slice(colon + 1) : '' };
}
