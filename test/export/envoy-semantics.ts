/**
 * Envoy v3 read as its source says (envoyproxy/envoy; docs/edge.md cites the files): the first route whose
 * match holds wins; a safe_regex path must match the whole path without the query; header matchers join
 * repeated fields with `,`, a missing header fails every matcher but present_match unless
 * treat_missing_header_as_empty, then invert_match flips the result (source/common/http/header_utility.cc);
 * a direct_response answers with the route's response_headers_to_add (router.cc); the CORS filter, given a
 * route's CorsPolicy, answers a preflight 200 itself and sets Access-Control-Allow-Origin to the request's
 * Origin on other answers when a matcher accepts it (source/extensions/filters/http/cors/cors_filter.cc).
 * No Envoy runs here: this is the model.
 */
import { parse } from 'yaml';
import type { Req } from '../support/exchange';
import { re2 } from './decision-table';

interface StringMatcher { exact?: string; safe_regex?: { regex: string } }
interface HeaderMatcher { name: string; string_match?: StringMatcher; present_match?: boolean; invert_match?: boolean; treat_missing_header_as_empty?: boolean }
interface HeaderValueOption { header: { key: string; value: string } }
interface CorsPolicy { allow_origin_string_match: StringMatcher[]; allow_credentials?: boolean; forward_not_matching_preflights?: boolean }
export interface EnvoyRoute {
  name: string;
  match: { prefix?: string; safe_regex?: { regex: string }; headers?: HeaderMatcher[] };
  direct_response?: { status: number };
  route?: { cluster: string };
  typed_per_filter_config?: Record<string, CorsPolicy>;
  response_headers_to_add?: HeaderValueOption[];
}
export interface EnvoyAnswer { readonly route: string; readonly status: number | 'upstream'; readonly allowOrigin: string | undefined; readonly vary: boolean }

/** An RE2 full match (Envoy's safe_regex). */
function fullMatch(source: string, text: string): boolean {
  return re2(`^(?:${source})$`).test(text);
}

function stringMatches(m: StringMatcher, text: string): boolean {
  if (m.exact !== undefined) return m.exact === text;
  if (m.safe_regex !== undefined) return fullMatch(m.safe_regex.regex, text);
  throw new Error(`string matcher not modelled: ${JSON.stringify(m)}`);
}

function headerValue(req: Req, name: string): string | undefined {
  if (name === ':method') return req.method ?? 'GET';
  return Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
}

function headerMatches(req: Req, m: HeaderMatcher): boolean {
  const value = headerValue(req, m.name);
  if (m.present_match !== undefined) return (value !== undefined) !== (m.invert_match === true);
  if (value === undefined && m.treat_missing_header_as_empty !== true) return false;
  return stringMatches(m.string_match as StringMatcher, value ?? '') !== (m.invert_match === true);
}

export function routeMatches(route: EnvoyRoute, req: Req): boolean {
  const path = (req.path ?? '/').split('?')[0] as string;
  const { match } = route;
  const pathOk = match.prefix !== undefined ? path.startsWith(match.prefix) : fullMatch((match.safe_regex as { regex: string }).regex, path);
  return pathOk && (match.headers ?? []).every((m) => headerMatches(req, m));
}

export function envoyRoutes(yaml: string): EnvoyRoute[] {
  const doc = parse(yaml) as { static_resources: { listeners: Array<{ filter_chains: Array<{ filters: Array<{ typed_config: { route_config: { virtual_hosts: Array<{ routes: EnvoyRoute[] }> } } }> }> }> } };
  return doc.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config.virtual_hosts[0]!.routes;
}

export function envoyAnswer(routes: readonly EnvoyRoute[], req: Req): EnvoyAnswer {
  const route = routes.find((r) => routeMatches(r, req));
  if (route === undefined) return { route: '(none)', status: 404, allowOrigin: undefined, vary: false };
  const added = route.response_headers_to_add ?? [];
  const origin = headerValue(req, 'origin');
  const addedValue = (key: string): string | undefined => added.find((h) => h.header.key === key)?.header.value.replace('%REQ(origin)%', origin ?? '');
  const vary = addedValue('Vary') !== undefined;
  const policy = route.typed_per_filter_config?.['envoy.filters.http.cors'];
  const allowed = policy !== undefined && (origin ?? '') !== '' && policy.allow_origin_string_match.some((m) => stringMatches(m, '*') || stringMatches(m, origin as string));
  const filterPreflight = policy !== undefined && req.method === 'OPTIONS' && (origin ?? '') !== '' && (headerValue(req, 'access-control-request-method') ?? '') !== '';
  if (filterPreflight && (allowed || policy.forward_not_matching_preflights === false)) return { route: route.name, status: 200, allowOrigin: allowed ? origin : undefined, vary: false };
  if (route.direct_response !== undefined) return { route: route.name, status: route.direct_response.status, allowOrigin: addedValue('Access-Control-Allow-Origin'), vary };
  return { route: route.name, status: 'upstream', allowOrigin: allowed ? origin : addedValue('Access-Control-Allow-Origin'), vary };
}
