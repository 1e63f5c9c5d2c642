/**
 * nginx 1.22 (nginx-light): the policy as `map`s evaluated at most once per request, one `include` per location.
 * Every decision is a map (hashed exact keys first, then anchored regexes in order), the answer is one list of `add_header
 * … always` lines whose empty values write nothing, and preflights end in the location with `return`.
 * One include per location keeps the headers from being lost to add_header inheritance (1.22 has no
 * add_header_inherit): a level that adds headers of its own replaces the parent's list.
 */
import { NGINX_LOG_FORMAT } from '../logs/nginx';
import { headerColumns, slug, varyOf } from './answers';
import type { EdgePlan, EdgeRoute } from './plan';
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

/**
 * Exact map keys live in a hash of map_hash_bucket_size bytes (by default a 64-byte cache line): a key
 * longer than this would make `nginx -t` fail, so such origins keep only their regex. Within the cap, a
 * hash entry costs one lookup where a regex costs a PCRE match per request.
 */
const HASH_KEY_MAX = 46;
const HASH_KEYS_MAX = 256;

/**
 * The http-level part: the log format and every map. nginx evaluates a map only when its variable is
 * read, and a map's value only when that entry is chosen: the preflight checks sit behind values, so an
 * actual request reads the route, its Origin (one hash lookup when spelled as browsers do) and a few
 * small hashed keys, and no regex beyond the route's.
 */
export function nginxHttpSnippet(plan: EdgePlan): string {
  return [
    '# cors-sentinel export (nginx): include in the http {} block. Generated: edit the policy, not this file.',
    // The reader's format, but a route with CORS off logs no Origin (the middleware counts those requests as not CORS),
    // and the path is the one routes were chosen on.
    logFormat(plan.routes),
    // The path as received, which proxy_pass forwards and the upstream routes on ($uri is decoded and normalised): read by the log only.
    map('$request_uri', 'cors_path', [['~^([^?]*)', '$1']], ''),
    ...routeMaps(plan.routes),
    originMap(plan.routes),
    ...preflightMaps(plan.routes),
    ...answers(plan.routes).maps,
    ...logFields(plan.routes).maps,
    '',
  ].join('\n');
}

/**
 * The reader's format, but a route with CORS off logs no Origin (the middleware counts those requests as not CORS),
 * the path is the one routes were chosen on, and the answer's credentials, methods and headers are the
 * export's own values rather than `$sent_http_*`, which nginx finds by comparing names along the response's
 * header list (these names share 21 leading characters): ~700–2,000 instructions a field. The line says the same.
 */
function logFormat(routes: readonly EdgeRoute[]): string {
  // With CORS on every route the Origin is logged as it came (a map would only copy it).
  const origin = routes.some((r) => r.disabled) ? '"$cors_logged_origin"' : '"$http_origin"';
  let format = NGINX_LOG_FORMAT.replace('"$http_origin"', origin).replace('"$uri"', '"$cors_path"');
  for (const f of logFields(routes).fields) format = format.replace(`"$sent_http_${slug(f.name)}"`, `"${f.logged}"`);
  return format;
}

interface LogField {
  readonly name: string;
  /** What the format reads: '' (never sent), or `$cors_log_…`. */
  readonly logged: string;
  /** The `set` line for the allowed preflight's block (undefined: none needed). */
  readonly set?: string;
  /** Whether the field is a preflight-only header, empty unless that block sets it. */
  readonly preflightOnly?: boolean;
}

/**
 * Every one of these headers is written only beside Access-Control-Allow-Origin, by the export's own
 * `add_header` lines (the upstream's are hidden), so the value sent is: nothing when no
 * Access-Control-Allow-Origin went out (no answer from the location, a refusal, a request nginx ended
 * before answering); the allowed preflight's value, which its `if` block `set`s before `return`; else the
 * actual answer's. `$sent_http_access_control_allow_origin` stays the one scan: it says whether the
 * headers went out, and only a map on it reads the actual answer's value, so a preflight-only header
 * costs a rejected or actual request a constant-keyed lookup and no scan.
 */
function logFields(routes: readonly EdgeRoute[]): { fields: LogField[]; maps: string[] } {
  const a = answers(routes);
  const fields: LogField[] = [];
  const maps: string[] = [];
  const columns = headerColumns(routes);
  for (const name of ['Access-Control-Allow-Credentials', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers']) {
    // Once an origin was granted, a value every route shares is a literal (a variable would be copied: ~280 instructions).
    const shared = new Set(columns.find((c) => c.name === name)?.actual.filter((_v, i) => !routes[i]!.disabled));
    const line = a.actual.find(([n]) => n === name)?.[1] ?? '';
    const actual = shared.size === 1 ? [...shared][0]! : line;
    const preflight = a.preflight.find(([n]) => n === name)?.[1] ?? '';
    if (actual === '' && preflight === '') {
      fields.push({ name, logged: '' });
      continue;
    }
    const variable = `cors_log_${slug(name).replace(/^access_control_/, '')}`;
    maps.push(actual === ''
      ? map('0', variable, [], '')
      : map('$sent_http_access_control_allow_origin', variable, [['', '']], actual));
    fields.push({ name, logged: `$${variable}`, set: `set $${variable} ${q(preflight)};`, preflightOnly: actual === '' });
  }
  return { fields, maps };
}

function routeMaps(routes: readonly EdgeRoute[]): string[] {
  const last = routes.length - 1;
  // The request target with its query: the patterns end at `?` too, so no per-request path extraction.
  const routeEntries = routes.slice(0, last).map((r, i) => [`~*${routePathSource(r.pattern!, true)}`, String(i)] as const);
  const enabled = routes.flatMap((r, i) => (r.disabled ? [] : [[String(i), '1'] as const]));
  return [
    // One route: nothing to choose, and a constant source costs no lookup of the request target.
    map(routeEntries.length === 0 ? '0' : '$request_uri', 'cors_route', routeEntries, String(last)),
    map('$cors_route', 'cors_route_enabled', enabled, '0'),
    ...(routes.some((r) => r.disabled) ? [map('$cors_route_enabled', 'cors_logged_origin', [['1', '$http_origin']], '')] : []),
  ];
}

/** The origin the route grants (the normalised one), `*`, or '' — keyed `route|Origin`. */
function originMap(routes: readonly EdgeRoute[]): string {
  // `*` routes answer every Origin alike, over-long ones too; elsewhere an over-long Origin is invalid.
  const entries: Array<readonly [string, string]> = routes.flatMap((r, i) => (r.anyOnly && !r.disabled ? [[`~^${i}\\|`, '*'] as const] : []));
  entries.push([`~^\\d+\\|${ORIGIN_TOO_LONG}`, '']);
  let hashed = 0;
  routes.forEach((r, i) => {
    if (r.disabled) return;
    for (const origin of new Set(r.exact)) {
      const { source, caseInsensitive } = exactOriginSource(origin);
      // nginx looks exact keys up first and case-insensitively, as the regex below reads scheme and host: the
      // browser's spelling in one lookup, the other spellings (a port written out, leading zeros) by the regex.
      // `null` is case-sensitive and stays a regex.
      const key = `${i}|${origin}`;
      if (caseInsensitive && key.length <= HASH_KEY_MAX && hashed < HASH_KEYS_MAX) {
        entries.push([key, origin]);
        hashed++;
      }
      entries.push([`~${caseInsensitive ? '*' : ''}^${i}\\|${source}$`, origin]);
    }
    for (const w of r.wildcards) entries.push([`~^${i}\\|(${wildcardOriginSource(w)})$`, '$1']);
  });
  return map('$cors_route|$http_origin', 'cors_granted_origin', entries, '');
}

/** The preflight statuses when every route answers alike (the verdict is then the status itself, one map less). */
function sharedStatuses(routes: readonly EdgeRoute[]): { allow: string; deny: string } | undefined {
  const allow = new Set(routes.map((r) => r.preflightStatus));
  const deny = new Set(routes.map((r) => r.rejectedStatus));
  return allow.size === 1 && deny.size === 1 ? { allow: String([...allow][0]), deny: String([...deny][0]) } : undefined;
}

/**
 * `$cors_preflight_verdict`, read only for OPTIONS (it is the value of `$cors_preflight_status`'s OPTIONS
 * entry): '' (not a preflight: Origin and Access-Control-Request-Method on a route with CORS), else allowed
 * or refused (`allow`/`deny`, or the statuses themselves when every route shares them). One map on the
 * seven checks: each map costs a few hundred instructions, and every check is needed to allow a preflight.
 */
function preflightMaps(routes: readonly EdgeRoute[]): string[] {
  const methodEntries: Array<readonly [string, string]> = [];
  // Exact keys are looked up before any regex: an empty list or one allowed name (within every limit) costs no
  // regex. The length limit comes first, so the list regex never reads more than 2048 characters; the count
  // limits are read only for a list of allowed names (a list with another name is refused either way).
  const [tooLong, ...tooMany] = REQUEST_HEADERS_TOO_LARGE;
  const headerEntries: Array<readonly [string, string]> = [];
  const headerRegexes: Array<readonly [string, string]> = [[`~^\\d+\\|${tooLong!}`, '0']];
  const shared = sharedStatuses(routes);
  // Enabled route, Origin, Access-Control-Request-Method: a preflight; then origin, method, headers allowed and no PNA asked.
  const checks = Array.from({ length: 16 }, (_, n) => `111${n.toString(2).padStart(4, '0')}`);
  const verdicts = checks.map((k) => [k, k === '1111110' ? shared?.allow ?? 'allow' : shared?.deny ?? 'deny'] as const);
  routes.forEach((r, i) => {
    if (r.disabled) return;
    methodEntries.push([`~^${i}\\|${methodsSource(r.methods)}$`, '1']);
    // Names are lower-case; the key is matched case-insensitively, as the regex reads them.
    const names = [...new Set(r.allowedHeaders)].filter((n) => `${i}|${n}`.length <= HASH_KEY_MAX).slice(0, HASH_KEYS_MAX);
    headerEntries.push([`${i}|`, '1'], ...names.map((n) => [`${i}|${n}`, '1'] as const));
    headerRegexes.push([`~*^${i}\\|${allowedHeadersSource(r.allowedHeaders)}`, '$cors_headers_within_limits']);
  });
  return [
    map('$cors_route_enabled$cors_has_origin$cors_has_request_method$cors_origin_ok$cors_method_ok$cors_headers_ok$cors_pna_asked', 'cors_preflight_verdict', verdicts, ''),
    map('$http_origin', 'cors_has_origin', [['', '0']], '1'),
    map('$http_access_control_request_method', 'cors_has_request_method', [['', '0']], '1'),
    map('$cors_granted_origin', 'cors_origin_ok', [['', '0']], '1'),
    map('$cors_route|$http_access_control_request_method', 'cors_method_ok', methodEntries, '0'),
    map('$cors_route|$http_access_control_request_headers', 'cors_headers_ok', [...headerEntries, ...headerRegexes], '0'),
    map('$http_access_control_request_headers', 'cors_headers_within_limits', tooMany.map((s) => [`~^${s}`, '0'] as const), '1'),
    // Private Network Access is not exported: a preflight that asks for it is refused. Not asked (''): a hashed key, no regex.
    map('$http_access_control_request_private_network', 'cors_pna_asked', [['', '0'], ['~^true$', '1']], '0'),
  ];
}

/**
 * A header's value by route: a literal when every route that can reach the header line has the same one
 * (no lookup at all), else a map on the route. `undefined` entries are routes that never reach it; '' writes no header.
 */
function byRoute(variable: string, values: ReadonlyArray<string | undefined>, source = '$cors_route'): { value: string; map?: string } {
  const reached = values.filter((v): v is string => v !== undefined);
  if (reached.every((v) => v === reached[0])) return { value: reached[0] ?? '' };
  const entries = values.flatMap((v, i) => (v === undefined || v === '' ? [] : [[String(i), v] as const]));
  return { value: `$${variable}`, map: map(source, variable, entries, '') };
}

interface Answers {
  readonly maps: string[];
  /** [header, value] in the middleware's order: Vary first, then Access-Control-Allow-Origin and the rest. */
  readonly actual: Array<readonly [string, string]>;
  readonly preflight: Array<readonly [string, string]>;
  /** Statuses of allowed preflights and of refused ones (2xx and 4xx/5xx: never the same). */
  readonly allowStatuses: readonly number[];
  readonly denyStatuses: readonly number[];
}

/**
 * What the answers carry. Actual answers: the route's Vary, the granted origin and, when one was granted,
 * the route's headers. Preflights end in an `if` block per status with header lines of their own, so
 * their values are read only for preflights; a refused one carries Vary alone.
 */
function answers(routes: readonly EdgeRoute[]): Answers {
  const maps: string[] = [];
  const line = (name: string, v: { value: string; map?: string }): Array<readonly [string, string]> => {
    if (v.map !== undefined) maps.push(v.map);
    return v.value === '' ? [] : [[name, v.value]];
  };
  const enabled = (f: (r: EdgeRoute, i: number) => string): Array<string | undefined> => routes.map((r, i) => (r.disabled ? undefined : f(r, i)));
  const columns = headerColumns(routes);
  const actual = [...line('Vary', byRoute('cors_vary', routes.map((r) => varyOf(r).actual))), ['Access-Control-Allow-Origin', '$cors_granted_origin'] as const];
  for (const c of columns) {
    const values = enabled((_r, i) => c.actual[i] ?? '');
    const v = byRoute(`cors_${slug(c.name)}`, values, '$cors_actual_answer');
    // The same value on every route: only whether an origin was granted decides.
    actual.push(...line(c.name, v.map !== undefined || v.value === '' ? v : { value: `$cors_${slug(c.name)}`, map: map('$cors_granted_origin', `cors_${slug(c.name)}`, [['', '']], v.value) }));
  }
  const preflight = [...line('Vary', byRoute('cors_preflight_vary', enabled((r) => varyOf(r).preflight))), ['Access-Control-Allow-Origin', '$cors_granted_origin'] as const];
  // Variable names stay short: nginx hashes them in buckets of variables_hash_bucket_size (64) bytes.
  for (const c of columns) preflight.push(...line(c.name, byRoute(`cors_preflight_${slug(c.name).replace(/^access_control_/, '')}`, enabled((_r, i) => c.preflight[i] ?? ''))));
  const allowStatuses = [...new Set(routes.map((r) => r.preflightStatus))];
  const denyStatuses = [...new Set(routes.map((r) => r.rejectedStatus))];
  if (allowStatuses.some((s) => denyStatuses.includes(s))) throw new Error('an allowed and a refused preflight status are the same');
  const status = routes.flatMap((r, i) => [[`${i}|allow`, String(r.preflightStatus)], [`${i}|deny`, String(r.rejectedStatus)]] as const);
  // An exact key is matched case-insensitively, but nginx answers 400 to a method with a lower-case letter
  // before any map is read: only OPTIONS itself reaches this entry.
  if (sharedStatuses(routes) !== undefined) maps.push(map('$request_method', 'cors_preflight_status', [['OPTIONS', '$cors_preflight_verdict']], ''));
  else {
    maps.push(
      map('$request_method', 'cors_preflight_status', [['OPTIONS', '$cors_route_preflight_status']], ''),
      map('$cors_route|$cors_preflight_verdict', 'cors_route_preflight_status', status, ''),
    );
  }
  maps.push(
    map('$cors_granted_origin', 'cors_actual_answer', [['', '']], '$cors_route'),
    map('$cors_route', 'cors_empty_body', [], ''),
  );
  return { maps, actual, preflight, allowStatuses, denyStatuses };
}

const addHeaders = (lines: ReadonlyArray<readonly [string, string]>, indent = ''): string[] =>
  lines.map(([name, value]) => `${indent}add_header ${name} ${q(value)} always;`);

/**
 * The location-level part. Preflights end here, in an `if` block per status: a block with add_header
 * lines of its own replaces the location's list, so each carries its full answer. Every other answer gets
 * the location's lines.
 */
export function nginxLocationSnippet(plan: EdgePlan): string {
  const a = answers(plan.routes);
  // An empty body, as the middleware sends: a literal "" would make nginx send its error page instead.
  const ret = (s: number): string => `    return ${s === 204 ? '204' : `${s} $cors_empty_body`};`;
  const vary = a.preflight.filter(([name]) => name === 'Vary');
  // What the log writes for the headers above (logFields): set where they are sent. A preflight-only field is
  // also set empty first, which costs a request less than the constant map that stands in for it elsewhere.
  const fields = logFields(plan.routes).fields;
  const sets = fields.flatMap((f) => (f.set === undefined ? [] : [`    ${f.set}`]));
  const empty = fields.flatMap((f) => (f.preflightOnly === true ? [`set ${f.logged} "";`] : []));
  return [
    '# cors-sentinel export (nginx): include in every location that serves the API, and again in any',
    '# nested location or if-block that has add_header lines of its own.',
    ...(empty.length > 0 ? ['# The cors_json log\'s preflight-only fields: empty unless an allowed preflight below sets them.', ...empty] : []),
    ...a.allowStatuses.flatMap((s) => [`if ($cors_preflight_status = ${s}) {`, ...addHeaders(a.preflight, '    '), ...sets, ret(s), '}']),
    ...a.denyStatuses.flatMap((s) => [`if ($cors_preflight_status = ${s}) {`, ...addHeaders(vary, '    '), ret(s), '}']),
    ...addHeaders(a.actual),
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
# The origin, method and header regexes compiled to machine code rather than interpreted per request.
pcre_jit on;
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
