/**
 * nginx 1.22 (nginx-light): the policy as `map`s evaluated once per request, one `include` per location.
 * Every decision is a map (anchored regexes, checked in order), the answer is one list of `add_header
 * … always` lines whose empty values write nothing, and preflights end in the location with `return`.
 * One include per location keeps the headers from being lost to add_header inheritance (1.22 has no
 * add_header_inherit): a level that adds headers of its own replaces the parent's list.
 */
import { NGINX_LOG_FORMAT } from '../logs/nginx';
import { headerColumns, slug, varyOf } from './answers';
import type { EdgePlan } from './plan';
import {
  allowedHeadersSource, exactOriginSource, methodsSource, ORIGIN_TOO_LONG, REQUEST_HEADERS_TOO_LARGE, routePathSource, wildcardOriginSource,
} from './regex';

/** Response headers only the CORS layer may write. */
export const CORS_RESPONSE_HEADERS = [
  'Access-Control-Allow-Origin', 'Access-Control-Allow-Credentials', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
  'Access-Control-Max-Age', 'Access-Control-Expose-Headers', 'Access-Control-Allow-Private-Network',
];

export const NGINX_HTTP_SNIPPET = 'cors-http.conf';
export const NGINX_LOCATION_SNIPPET = 'cors-location.conf';

/** A double-quoted nginx string (regexes keep their backslashes: nginx unescapes only \" and \\). */
function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function map(source: string, variable: string, entries: ReadonlyArray<readonly [string, string]>, fallback: string): string {
  const lines = entries.map(([k, v]) => `    ${q(k)} ${q(v)};`);
  return [`map ${q(source)} $${variable} {`, ...lines, `    default ${q(fallback)};`, '}'].join('\n');
}

/** The http-level part: the log format and every map. */
export function nginxHttpSnippet(plan: EdgePlan): string {
  const { routes } = plan;
  const last = routes.length - 1;
  const routeEntries = routes.slice(0, last).map((r, i) => [`~*${routePathSource(r.pattern!)}`, String(i)] as const);
  // `*` routes answer every Origin alike, over-long ones too; elsewhere an over-long Origin is invalid.
  const originEntries: Array<readonly [string, string]> = routes.flatMap((r, i) => (r.anyOnly && !r.disabled ? [[`~^${i}\\|`, '*'] as const] : []));
  originEntries.push([`~^\\d+\\|${ORIGIN_TOO_LONG}`, '']);
  const methodEntries: Array<readonly [string, string]> = [];
  const headerEntries: Array<readonly [string, string]> = [
    ['~^\\d+\\|$', '1'], ...REQUEST_HEADERS_TOO_LARGE.map((s) => [`~^\\d+\\|${s}`, '0'] as const),
  ];
  routes.forEach((r, i) => {
    if (r.disabled) return;
    for (const origin of r.exact) {
      const { source, caseInsensitive } = exactOriginSource(origin);
      originEntries.push([`~${caseInsensitive ? '*' : ''}^${i}\\|${source}$`, origin]);
    }
    for (const w of r.wildcards) originEntries.push([`~^${i}\\|(${wildcardOriginSource(w)})$`, '$1']);
    methodEntries.push([`~^${i}\\|${methodsSource(r.methods)}$`, '1']);
    headerEntries.push([`~*^${i}\\|${allowedHeadersSource(r.allowedHeaders)}`, '1']);
  });
  const enabled = routes.map((r, i) => [String(i), r.disabled ? '0' : '1'] as const);
  const vary = routes.flatMap((r, i) => {
    const v = varyOf(r);
    return [[`~^${i}\\|$`, v.actual], [`~^${i}\\|`, v.preflight]] as const;
  });
  const status = routes.flatMap((r, i) => [[`${i}|allow`, String(r.preflightStatus)], [`${i}|deny`, String(r.rejectedStatus)]] as const);
  const columns = headerColumns(routes).map((c) => map('$cors_route|$cors_preflight_verdict|$cors_allow_origin', `cors_${slug(c.name)}`, [
    ...c.actual.flatMap((v, i) => (v === '' ? [] : [[`~^${i}\\|\\|.`, v] as const])),
    ...c.preflight.flatMap((v, i) => (v === '' ? [] : [[`~^${i}\\|allow\\|`, v] as const])),
  ], ''));
  return [
    '# cors-sentinel export (nginx): include in the http {} block. Generated: edit the policy, not this file.',
    // The reader's format, but a route with CORS off logs no Origin (the middleware counts those requests as not CORS),
    // and the path is the one routes were chosen on.
    NGINX_LOG_FORMAT.replace('"$http_origin"', '"$cors_logged_origin"').replace('"$uri"', '"$cors_path"'),
    // The path as received, which proxy_pass forwards and the upstream routes on ($uri is decoded and normalised).
    map('$request_uri', 'cors_path', [['~^([^?]*)', '$1']], ''),
    map('$cors_path', 'cors_route', routeEntries, String(last)),
    map('$cors_route', 'cors_route_enabled', enabled, '0'),
    map('$cors_route_enabled', 'cors_logged_origin', [['1', '$http_origin']], ''),
    map('$request_method', 'cors_is_options', [['~^OPTIONS$', '1']], '0'),
    map('$http_origin', 'cors_has_origin', [['', '0']], '1'),
    map('$http_access_control_request_method', 'cors_has_request_method', [['', '0']], '1'),
    // Preflight = OPTIONS + Origin + Access-Control-Request-Method, on a route with CORS.
    map('$cors_route_enabled$cors_is_options$cors_has_origin$cors_has_request_method', 'cors_is_preflight', [['1111', '1']], '0'),
    map('$cors_route|$http_origin', 'cors_granted_origin', originEntries, ''),
    map('$cors_granted_origin', 'cors_origin_ok', [['', '0']], '1'),
    map('$cors_route|$http_access_control_request_method', 'cors_method_ok', methodEntries, '0'),
    map('$cors_route|$http_access_control_request_headers', 'cors_headers_ok', headerEntries, '0'),
    // Private Network Access is not exported: a preflight that asks for it is refused.
    map('$http_access_control_request_private_network', 'cors_pna_asked', [['~^true$', '1']], '0'),
    map('$cors_is_preflight$cors_origin_ok$cors_method_ok$cors_headers_ok$cors_pna_asked', 'cors_preflight_verdict', [['~^0', ''], ['11110', 'allow']], 'deny'),
    map('$cors_preflight_verdict|$cors_granted_origin', 'cors_allow_origin', [['~^deny\\|', ''], ['~^[a-z]*\\|(.+)$', '$1']], ''),
    map('$cors_route|$cors_preflight_verdict', 'cors_preflight_status', status, ''),
    map('$cors_route|$cors_preflight_verdict', 'cors_vary', vary, ''),
    map('$cors_route', 'cors_empty_body', [], ''),
    ...columns,
    '',
  ].join('\n');
}

/** The location-level part: preflights end here; every answer gets the same header lines. */
export function nginxLocationSnippet(plan: EdgePlan): string {
  const statuses = [...new Set(plan.routes.flatMap((r) => [r.preflightStatus, r.rejectedStatus]))];
  const columns = headerColumns(plan.routes);
  return [
    '# cors-sentinel export (nginx): include in every location that serves the API, and again in any',
    '# nested location or if-block that has add_header lines of its own.',
    // An empty body, as the middleware sends: a literal "" would make nginx send its error page instead.
    ...statuses.map((s) => `if ($cors_preflight_status = ${s}) { return ${s === 204 ? '204' : `${s} $cors_empty_body`}; }`),
    // In the middleware's order: Vary first, then Access-Control-Allow-Origin and the rest.
    'add_header Vary $cors_vary always;',
    'add_header Access-Control-Allow-Origin $cors_allow_origin always;',
    ...columns.map((c) => `add_header ${c.name} $cors_${slug(c.name)} always;`),
    '# The edge owns CORS: a second layer behind it would send its own, conflicting headers.',
    ...CORS_RESPONSE_HEADERS.map((h) => `proxy_hide_header ${h};`),
    '',
  ].join('\n');
}

/**
 * A complete config for `nginx -p DIR -c DIR/nginx.conf -e DIR/error.log`: every path inside DIR.
 * `upstream` is host:port; the upstream block keeps connections to it alive (a new TCP connection per
 * request would cost more than the whole CORS layer).
 */
export function nginxConf(upstream: string, listen: string): string {
  return `# cors-sentinel export (nginx): run with nginx -p DIR -c DIR/nginx.conf -e DIR/error.log
daemon off;
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include ${NGINX_HTTP_SNIPPET};
    access_log cors.log cors_json;
    upstream cors_sentinel_upstream {
        server ${upstream};
        keepalive 32;
    }
    server {
        listen ${listen};
        location / {
            include ${NGINX_LOCATION_SNIPPET};
            proxy_pass http://cors_sentinel_upstream;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Connection "";
        }
    }
}
`;
}
