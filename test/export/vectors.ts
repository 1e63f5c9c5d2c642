/**
 * The requests every exported edge must answer exactly as the middleware: the adapter conformance
 * suite's vectors and bypass battery (test/conformance/conformance.test.ts, same policy), the prober's
 * whole origin mutation set, and the corners of the header-list, method and route rules.
 */
import { originMutations } from '../../packages/cli/src/probe/mutations';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Req } from '../support/exchange';

export const APP = 'https://app.example.com';

export const POLICY: CorsSentinelOptions = {
  origins: [APP, 'https://*.preview.example.com', 'http://localhost:5173'],
  credentials: true,
  maxAge: 600,
  allowedHeaders: ['content-type', 'x-api-key'],
  exposedHeaders: ['x-request-id'],
  routes: [
    { path: '/public/*', name: 'public', origins: '*', credentials: false },
    { path: '/admin', name: 'admin', origins: [APP], methods: ['GET', 'DELETE'], allowedHeaders: [], rejectedPreflightStatus: 404, optionsSuccessStatus: 200 },
    { path: '/static*', name: 'static', origin: false },
  ],
};

/** Another shape: no credentials by default, `null` and a custom scheme allowed, only safelisted methods on /api. */
export const POLICY_2: CorsSentinelOptions = {
  origins: [APP, 'capacitor://localhost', 'null', 'https://*.tenant.example.org:8443'],
  dangerouslyAllowNullOrigin: true,
  methods: ['PUT', 'PATCH'],
  allowedHeaders: ['authorization', 'x-requested-with'],
  routes: [{ path: '/api/*', name: 'api', origins: [APP, 'https://*.preview.example.com'], credentials: true, maxAge: 7200, methods: [], exposedHeaders: ['x-a', 'x-b'] }],
};

const preflight = (origin: string, method = 'PUT', headers?: string, path = '/api/items'): Req => ({
  method: 'OPTIONS', path,
  headers: { Origin: origin, 'Access-Control-Request-Method': method, ...(headers !== undefined ? { 'Access-Control-Request-Headers': headers } : {}) },
});

/** The conformance suite's vectors (its error routes included). */
const CONFORMANCE: Req[] = [
  { path: '/api/items', headers: { Origin: APP } },
  { path: '/api/items', headers: { Origin: 'https://a.b.preview.example.com' } },
  { path: '/api/items', headers: { Origin: 'https://evil.example' } },
  { path: '/api/items' },
  preflight(APP, 'PUT', 'content-type, x-api-key'),
  preflight(APP, 'PUT', 'x-admin'),
  preflight(APP, 'PROPFIND'),
  preflight('https://evil.example'),
  preflight('null'),
  { method: 'OPTIONS', path: '/api/items', headers: { Origin: APP } },
  { path: '/boom', headers: { Origin: APP } },
  { path: '/missing', headers: { Origin: APP } },
  { path: '/boom', headers: { Origin: 'https://evil.example', Cookie: 's=1' } },
  { path: '/missing', headers: { Origin: 'https://evil.example' } },
  { path: '/boom' },
  { path: '/public/logo', headers: { Origin: 'https://evil.example' } },
];

/** The conformance suite's bypass battery. */
export const BYPASSES = [
  'https://app.example.com.evil.net', 'https://evilapp.example.com', 'https://app.example.com:8443', 'http://app.example.com',
  'https://app.example.co', 'https://preview.example.com', 'https://x.preview.example.com.evil.net', 'https://xpreview.example.com',
  'https://app.example.com@evil.net', 'https://evil.net#app.example.com', 'https://app.example.com%60.evil.net',
  'https://app.example.com/', 'https://app.example.com.', 'null', 'file://', 'https://app.example.com,https://evil.net',
  'https://xn--app-example-com.evil.net', 'https://[::1]', 'javascript://app.example.com',
];

/** Spellings parseRequestOrigin() normalises to a listed exact origin: the edge maps them to the same answer. */
const EXACT_SPELLINGS = ['CAPACITOR://LOCALHOST', 'NULL', 'https://a.tenant.example.org:8443', 'https://a.tenant.example.org', 'HTTPS://APP.EXAMPLE.COM', 'https://App.Example.com:443', 'https://app.example.com:0443', 'http://LOCALHOST:5173', 'http://localhost:05173', 'http://localhost:005173', 'https://app.example.com:00443', 'https://app.example.com:000443', 'http://localhost:5174'];

/** Header lists at the limits of parseRequestedHeaders(): OWS, case, empty elements, counts, length. */
const HEADER_LISTS = [
  'Content-Type', ' content-type ,X-API-KEY ', 'content-type,,x-api-key', ',', '', 'x-api-key, x-admin', 'content-type;x', 'x-api-key-2', 'x-api',
  ','.repeat(16), ','.repeat(17), `${'x-api-key,'.repeat(31)}x-api-key`, `${'x-api-key,'.repeat(32)}x-api-key`, `content-type${' '.repeat(2040)}`,
  `content-type${' '.repeat(2030)}`, 'content-type\tx', '\tcontent-type\t',
];

const METHODS = ['PUT', 'put', 'GET', 'POST', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'CONNECT', 'X'];

const PATHS = ['/x', '/api', '/API/x', '/public', '/PUBLIC/x', '/publicity', '/admin', '/ADMIN/', '/admin/x', '/static', '/static-files/x', '/STATIC/a', '/api/items?x=1',
  '/%70ublic/x', '//public/x', '/api/../public/x', '/public/../admin', '/admin;x', '/admin%2F', '/%61dmin'];

export function equivalenceVectors(): Array<readonly [string, Req]> {
  const out: Array<readonly [string, Req]> = CONFORMANCE.map((r, i) => [`conformance #${i}`, r] as const);
  for (const origin of [...BYPASSES, ...originMutations(APP).map((m) => m.origin), ...EXACT_SPELLINGS]) {
    out.push([`actual from ${origin}`, { path: '/api/items', headers: { Origin: origin, Cookie: 's=1' } }]);
    out.push([`error from ${origin}`, { path: '/boom', headers: { Origin: origin } }]);
    out.push([`preflight from ${origin}`, preflight(origin, 'PUT', 'content-type')]);
  }
  for (const h of HEADER_LISTS) out.push([`headers ${JSON.stringify(h.length > 40 ? `${h.slice(0, 20)}…(${h.length})` : h)}`, preflight(APP, 'PUT', h)]);
  for (const m of METHODS) out.push([`method ${m}`, preflight(APP, m)]);
  for (const path of PATHS) {
    out.push([`actual ${path}`, { path, headers: { Origin: APP } }]);
    out.push([`actual ${path}, rejected origin`, { path, headers: { Origin: 'https://evil.example' } }]);
    out.push([`preflight ${path}`, preflight(APP, 'DELETE', undefined, path)]);
    out.push([`preflight ${path} with headers`, preflight(APP, 'GET', 'content-type', path)]);
    out.push([`preflight ${path}, rejected origin`, preflight('https://evil.example', 'GET', undefined, path)]);
    out.push([`no origin ${path}`, { path }]);
  }
  const long = `https://${'a'.repeat(290)}.preview.example.com`;
  for (const path of ['/api/items', '/public/x']) {
    out.push([`over-long origin, actual ${path}`, { path, headers: { Origin: long } }], [`over-long origin, preflight ${path}`, preflight(long, 'GET', undefined, path)]);
  }
  out.push(['private network asked', { ...preflight(APP), headers: { ...preflight(APP).headers, 'Access-Control-Request-Private-Network': 'true' } }]);
  out.push(['private network not asked', { ...preflight(APP), headers: { ...preflight(APP).headers, 'Access-Control-Request-Private-Network': 'false' } }]);
  return out;
}

/** Empty header values, which a browser never sends: only an edge that tells absent from empty gets them right. */
export const PRESENCE_VECTORS: Array<readonly [string, Req]> = [
  ['empty Origin, actual', { path: '/api/items', headers: { Origin: '' } }],
  ['empty Origin, preflight', preflight('')],
  ['empty Access-Control-Request-Method', preflight(APP, '')],
  ['empty Origin on the public route', preflight('', 'GET', undefined, '/public/x')],
];

/** Wildcard matches spelled as browsers never send them: the middleware grants the normalised origin, an edge refuses (docs/edge.md). */
export const WILDCARD_SPELLINGS = ['HTTPS://A.PREVIEW.EXAMPLE.COM', 'https://a.preview.example.com:443', 'https://A.preview.example.com'];
