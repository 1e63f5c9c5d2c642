/**
 * Envoy v3: a static bootstrap whose HTTP connection manager runs the CORS filter
 * (envoy.filters.http.cors) before the router. On its own the filter answers a preflight 200 without
 * checking the method or headers asked, forwards a preflight from a refused origin unless
 * forward_not_matching_preflights is false, and never writes Vary (cors_filter.cc, docs/edge.md). So the
 * decision is taken by route matches (header matchers are RE2 full matches; repeated fields are joined
 * with `,`), first match wins, most specific route first:
 *   allowed preflight → direct_response with the policy's status and headers (Origin echoed after the
 *                       route matched it whole), never forwarded
 *   other preflight   → direct_response with the rejected status, Vary only
 *   allowed actual    → the upstream, with a per-route CorsPolicy (typed_per_filter_config) that sets
 *                       Access-Control-Allow-Origin/-Credentials/-Expose-Headers
 *   anything else     → the upstream, Vary: Origin
 * Every route removes the upstream's own Access-Control-* headers: the edge owns CORS.
 */
import { stringify } from 'yaml';
import type { EdgePlan, EdgeRoute, Refusal } from './plan';
import { CORS_RESPONSE_HEADERS } from './nginx';
import { allowedHeadersSource, echoedOriginsSource, methodsSource, ORIGIN_TOO_LONG, REQUEST_HEADERS_TOO_LARGE, routePathSource, wildcardOriginSource } from './regex';

export const ENVOY_FILE = 'envoy.yaml';

const CORS_FILTER = 'envoy.filters.http.cors';
const CORS_POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** What the route matches and the CORS filter cannot say as cors-sentinel does, by name. */
export function envoyRefusals(plan: EdgePlan): Refusal[] {
  return plan.routes.filter((r) => !r.disabled && !r.anyOnly && r.actualVary.some((v) => v !== 'Origin')).map((r) => ({
    route: r.name, code: 'envoy_vary' as const, message: `Vary: ${r.actualVary.join(', ')}: only Origin is written on actual answers`,
  }));
}

/** An RE2 source Envoy runs as a full match: an open-ended source (no trailing `$`) takes the rest. */
function full(source: string): string {
  return source.endsWith('$') ? source : `${source}[\\s\\S]*`;
}

const regex = (name: string, source: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, string_match: { safe_regex: { regex: full(source) } }, ...extra });
const present = (name: string): Record<string, unknown> => ({ name, present_match: true });

function matchers(r: EdgeRoute): { path: Record<string, unknown>; preflight: unknown[]; allowedOrigin: unknown[]; allowedPreflight: unknown[] } {
  const path = r.pattern === undefined ? { prefix: '/' } : { safe_regex: { regex: `(?i)${full(routePathSource(r.pattern))}` } };
  const preflight = [{ name: ':method', string_match: { exact: 'OPTIONS' } }, present('origin'), present('access-control-request-method')];
  const allowedOrigin = r.anyOnly ? [present('origin')] : [regex('origin', echoedOriginsSource(r)), regex('origin', `^${ORIGIN_TOO_LONG}`, { invert_match: true })];
  const missingAsEmpty = { treat_missing_header_as_empty: true };
  const allowedPreflight = [
    ...allowedOrigin,
    regex('access-control-request-method', `^${methodsSource(r.methods)}$`),
    { name: 'access-control-request-private-network', string_match: { exact: 'true' }, invert_match: true, ...missingAsEmpty },
    regex('access-control-request-headers', `(?i)^${allowedHeadersSource(r.allowedHeaders)}`, missingAsEmpty),
    regex('access-control-request-headers', `^(?:${REQUEST_HEADERS_TOO_LARGE.join('|')})`, { invert_match: true, ...missingAsEmpty }),
  ];
  return { path, preflight, allowedOrigin, allowedPreflight };
}

/** Set, not appended: Envoy may apply a route's headers to a local reply twice. */
const setHeader = (key: string, value: string): Record<string, unknown> => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
const addVary = (value: string): Record<string, unknown> => ({ header: { key: 'Vary', value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });

function corsPolicy(r: EdgeRoute): Record<string, unknown> {
  const header = (name: string): string | undefined => r.actualHeaders.find(([n]) => n === name)?.[1];
  return {
    '@type': CORS_POLICY_TYPE,
    allow_origin_string_match: [...r.exact.map((exact) => ({ exact })), ...r.wildcards.map((w) => ({ safe_regex: { regex: wildcardOriginSource(w) } }))],
    ...(header('Access-Control-Allow-Credentials') === 'true' ? { allow_credentials: true } : {}),
    ...(header('Access-Control-Expose-Headers') !== undefined ? { expose_headers: header('Access-Control-Expose-Headers') } : {}),
    // Always on (Envoy's default when unset, written out so no runtime key can turn it down).
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    // Preflights never reach this route; if one did, the filter must not forward it.
    forward_not_matching_preflights: false,
  };
}

function routesOf(r: EdgeRoute, i: number): unknown[] {
  const strip = { response_headers_to_remove: [...CORS_RESPONSE_HEADERS] };
  const upstream = { cluster: 'app' };
  const m = matchers(r);
  if (r.disabled) return [{ name: `cors-${i}-off`, match: m.path, route: upstream, ...strip }];
  const preflightVary = addVary(r.preflightVary.join(', '));
  const allowedPreflightHeaders = [setHeader('Access-Control-Allow-Origin', r.anyOnly ? '*' : '%REQ(origin)%'), ...r.preflightHeaders.map(([k, v]) => setHeader(k, v))];
  const actualVary = r.actualVary.length > 0 ? [addVary(r.actualVary.join(', '))] : [];
  const allowedActual = r.anyOnly
    ? { response_headers_to_add: [setHeader('Access-Control-Allow-Origin', '*'), ...r.actualHeaders.map(([k, v]) => setHeader(k, v))] }
    : { typed_per_filter_config: { [CORS_FILTER]: corsPolicy(r) }, ...(actualVary.length > 0 ? { response_headers_to_add: actualVary } : {}) };
  return [
    { name: `cors-${i}-preflight-allowed`, match: { ...m.path, headers: [...m.preflight, ...m.allowedPreflight] },
      direct_response: { status: r.preflightStatus }, response_headers_to_add: [...allowedPreflightHeaders, preflightVary] },
    { name: `cors-${i}-preflight-rejected`, match: { ...m.path, headers: m.preflight }, direct_response: { status: r.rejectedStatus }, response_headers_to_add: [preflightVary] },
    { name: `cors-${i}-allowed`, match: { ...m.path, headers: m.allowedOrigin }, route: upstream, ...allowedActual, ...strip },
    { name: `cors-${i}-other`, match: m.path, route: upstream, ...(actualVary.length > 0 ? { response_headers_to_add: actualVary } : {}), ...strip },
  ];
}

const typed = (type: string, config: Record<string, unknown> = {}): Record<string, unknown> => ({ '@type': `type.googleapis.com/${type}`, ...config });

export function envoyConfig(plan: EdgePlan): string {
  const hcm = typed('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
    stat_prefix: 'cors_sentinel',
    // The path as received, as the middleware and the upstream read it (these are Envoy's defaults, written out).
    normalize_path: false,
    merge_slashes: false,
    path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
    route_config: { name: 'cors_sentinel', virtual_hosts: [{ name: 'app', domains: ['*'], routes: plan.routes.flatMap(routesOf) }] },
    http_filters: [
      { name: CORS_FILTER, typed_config: typed('envoy.extensions.filters.http.cors.v3.Cors') },
      { name: 'envoy.filters.http.router', typed_config: typed('envoy.extensions.filters.http.router.v3.Router') },
    ],
  });
  const endpoint = { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } };
  const doc = {
    static_resources: {
      listeners: [{ name: 'cors_sentinel', address: { socket_address: { address: '0.0.0.0', port_value: 10000 } }, filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }] }],
      clusters: [{ name: 'app', type: 'STATIC', load_assignment: { cluster_name: 'app', endpoints: [{ lb_endpoints: [endpoint] }] } }],
    },
    // The size bounds are long RE2 programs; Envoy refuses programs over 100 unless this runtime key is raised.
    layered_runtime: { layers: [{ name: 'cors_sentinel', static_layer: { 're2.max_program_size.error_level': 4294967295 } }] },
  };
  return `# cors-sentinel export (Envoy v3 bootstrap): set the listener address and the app cluster's endpoint.\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
