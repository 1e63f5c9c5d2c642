/**
 * HAProxy 2.6: the policy as request rules in a frontend. The route and the granted origin are
 * transaction variables; each route's preflights end in `http-request return` (allowed, then refused),
 * never reaching a backend; actual answers get their headers in `http-response` rules. HAProxy sees
 * whether a header is present (`req.fhdr_cnt`), so an empty Origin or Access-Control-Request-Method is
 * judged as the middleware judges it, and `req.fhdr` reads whole values (commas included).
 */
import { CORS_RESPONSE_HEADERS } from './nginx';
import { varyOf } from './answers';
import type { EdgePlan, EdgeRoute } from './plan';
import {
  allowedHeadersSource, exactOriginSource, methodsSource, REQUEST_HEADERS_TOO_LARGE, routePathSource, wildcardOriginSource,
} from './regex';
import { MAX_ORIGIN_LENGTH } from 'cors-sentinel/internal/origin/parse';

export const HAPROXY_SNIPPET = 'cors-frontend.cfg';

/** A single-quoted HAProxy word: nothing inside is interpreted; a quote is closed, escaped and reopened. */
function sq(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** A log-format value: `%` is the format's escape. */
function fmt(text: string): string {
  return sq(text.replace(/%/g, '%%'));
}

const PREFLIGHT = 'METH_OPTIONS cors_has_origin cors_has_request_method';

function routeRules(r: EdgeRoute, i: number): { request: string[]; response: string[] } {
  const on = `cors_r${i}`;
  const request = [`acl ${on} var(txn.cors_route) -m str ${i}`];
  if (r.disabled) return { request, response: [] };
  if (r.anyOnly) request.push(`http-request set-var(txn.cors_origin) str(*) if ${on}`);
  for (const origin of r.exact) {
    const { source, caseInsensitive } = exactOriginSource(origin);
    request.push(`http-request set-var(txn.cors_origin) str(${origin}) if ${on} cors_origin_fits { req.fhdr(origin) -m reg${caseInsensitive ? ' -i' : ''} ${sq(`^${source}$`)} }`);
  }
  for (const w of r.wildcards) {
    request.push(`http-request set-var(txn.cors_origin) req.fhdr(origin) if ${on} cors_origin_fits { req.fhdr(origin) -m reg ${sq(`^${wildcardOriginSource(w)}$`)} }`);
  }
  request.push(
    `acl cors_method_ok_${i} req.fhdr(access-control-request-method) -m reg ${sq(`^${methodsSource(r.methods)}$`)}`,
    `acl cors_headers_ok_${i} req.fhdr(access-control-request-headers) -m reg -i ${sq(`^${allowedHeadersSource(r.allowedHeaders)}`)}`,
  );
  const vary = varyOf(r);
  const granted = [['Vary', vary.preflight], ['Access-Control-Allow-Origin', '%[var(txn.cors_origin)]'], ...r.preflightHeaders]
    .map(([name, value]) => `hdr ${name} ${name === 'Access-Control-Allow-Origin' ? sq(value) : fmt(value)}`).join(' ');
  const allow = `http-request return status ${r.preflightStatus} ${granted} if ${on} ${PREFLIGHT} cors_origin_ok cors_method_ok_${i} !cors_pna_asked`;
  request.push(`${allow} cors_headers_absent`, `${allow} !cors_headers_too_large cors_headers_ok_${i}`);
  request.push(`http-request return status ${r.rejectedStatus} hdr Vary ${fmt(vary.preflight)} if ${on} ${PREFLIGHT}`);

  const response: string[] = [];
  if (vary.actual !== '') response.push(`http-response add-header Vary ${fmt(vary.actual)} if ${on}`);
  response.push(`http-response set-header Access-Control-Allow-Origin '%[var(txn.cors_origin)]' if ${on} cors_origin_ok`);
  for (const [name, value] of r.actualHeaders) response.push(`http-response set-header ${name} ${fmt(value)} if ${on} cors_origin_ok`);
  return { request, response };
}

/** The frontend's CORS rules (HAProxy 2.6 has no include: they go in the frontend section). */
export function haproxySnippet(plan: EdgePlan): string {
  const { routes } = plan;
  const last = routes.length - 1;
  // Later rules overwrite earlier ones: least specific first, so that the most specific match wins.
  const routeSelection = routes.slice(0, last).map((r, i) => ({ r, i })).reverse()
    .map(({ r, i }) => `http-request set-var(txn.cors_route) str(${i}) if { path -m reg -i ${sq(routePathSource(r.pattern!))} }`);
  const rules = routes.map(routeRules);
  return [
    '# cors-sentinel export (HAProxy): paste into the frontend that serves the API. Generated: edit the policy, not this file.',
    `http-request set-var(txn.cors_route) str(${last})`,
    ...routeSelection,
    'acl cors_has_origin req.fhdr_cnt(origin) gt 0',
    'acl cors_has_request_method req.fhdr_cnt(access-control-request-method) gt 0',
    'acl cors_headers_absent req.fhdr_cnt(access-control-request-headers) eq 0',
    `acl cors_headers_too_large req.fhdr(access-control-request-headers) -m reg ${REQUEST_HEADERS_TOO_LARGE.map((s) => sq(`^${s}`)).join(' ')}`,
    'acl cors_pna_asked req.fhdr(access-control-request-private-network) -m str true',
    `acl cors_origin_fits req.fhdr(origin),length le ${MAX_ORIGIN_LENGTH}`,
    'acl cors_origin_ok var(txn.cors_origin) -m found',
    ...rules.flatMap((x) => x.request),
    '# The edge owns CORS: a second layer behind it would send its own, conflicting headers.',
    ...CORS_RESPONSE_HEADERS.map((h) => `http-response del-header ${h}`),
    ...rules.flatMap((x) => x.response),
    '',
  ].join('\n');
}

/** A complete config for `haproxy -f DIR/haproxy.cfg` (foreground, no stats socket). */
export function haproxyConfig(plan: EdgePlan, upstreamHost: string, bind: string): string {
  const indent = (text: string): string => text.split('\n').filter((l) => l !== '').map((l) => `    ${l}`).join('\n');
  return `# cors-sentinel export (HAProxy): run with haproxy -f DIR/haproxy.cfg
global
    maxconn 1024

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend cors_edge
    bind ${bind}
${indent(haproxySnippet(plan))}
    default_backend cors_upstream

backend cors_upstream
    server upstream ${upstreamHost}
`;
}
