/**
 * One suite, every adapter: the same requests over real sockets against Express 5, Express 4,
 * node:http, Fastify and Koa, with the same expected answers — security rules, the origin bypass
 * battery, Vary, preflights, error responses, exact counts under concurrency and the /metrics exposition.
 * (Late decisions and route selection: late-decision.test.ts, route-selection.test.ts.)
 */
import { send, type Exchange, type Req } from '../support/exchange';
import { sumSamples } from '../support/metrics-text';
import { ADAPTERS, type RunningApp } from './servers';

const APP = 'https://app.example.com';
const POLICY = {
  origins: [APP, 'https://*.preview.example.com'],
  credentials: true,
  maxAge: 600,
  allowedHeaders: ['content-type', 'x-api-key'],
  exposedHeaders: ['x-request-id'],
  routes: [{ path: '/public/*', name: 'public', origins: '*', credentials: false }],
};
// The preflight answer depends on Access-Control-Request-Private-Network too (PNA off → 403 when asked).
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network';

/** What the browser sees: status, body, and the CORS headers. */
function seen(x: Exchange): Record<string, unknown> {
  const h = x.headers;
  return {
    status: x.status, body: x.body, acao: h['access-control-allow-origin'], acac: h['access-control-allow-credentials'],
    expose: h['access-control-expose-headers'], methods: h['access-control-allow-methods'], maxAge: h['access-control-max-age'], vary: h.vary,
  };
}

const preflight = (origin: string, method = 'PUT', headers?: string): Req => ({
  method: 'OPTIONS', path: '/api/items',
  headers: { Origin: origin, 'Access-Control-Request-Method': method, ...(headers ? { 'Access-Control-Request-Headers': headers } : {}) },
});
const refusedPreflight = { status: 403, body: '', acao: undefined, acac: undefined, methods: undefined, maxAge: undefined, vary: PREFLIGHT_VARY };

const CASES: ReadonlyArray<readonly [string, Req, Record<string, unknown>]> = [
  ['allowed actual request', { path: '/api/items', headers: { Origin: APP } }, { status: 200, body: 'app', acao: APP, acac: 'true', expose: 'x-request-id', vary: 'Origin' }],
  ['wildcard subdomain, actual', { path: '/api/items', headers: { Origin: 'https://a.b.preview.example.com' } }, { acao: 'https://a.b.preview.example.com', vary: 'Origin' }],
  ['rejected actual request runs without CORS headers', { path: '/api/items', headers: { Origin: 'https://evil.example' } }, { status: 200, body: 'app', acao: undefined, acac: undefined, vary: 'Origin' }],
  ['no Origin: not CORS', { path: '/api/items' }, { status: 200, body: 'app', acao: undefined }],
  ['allowed preflight', preflight(APP, 'PUT', 'content-type, x-api-key'), { status: 204, body: '', acao: APP, acac: 'true', methods: 'GET, HEAD, PUT, PATCH, POST, DELETE', maxAge: '600', vary: PREFLIGHT_VARY }],
  ['preflight for a header not allowed', preflight(APP, 'PUT', 'x-admin'), refusedPreflight],
  ['preflight for a method not allowed', preflight(APP, 'PROPFIND'), refusedPreflight],
  ['preflight from a rejected origin reveals nothing', preflight('https://evil.example'), refusedPreflight],
  ['preflight from the null origin', preflight('null'), refusedPreflight],
  ['plain OPTIONS is the app\'s', { method: 'OPTIONS', path: '/api/items', headers: { Origin: APP } }, { status: 200, body: 'app', acao: APP }],
  // An error after the middleware (a route that throws, a 404 error) is answered by the framework's
  // error path, which must keep what cors-sentinel wrote: else the browser reports a CORS error, not the 500.
  ['an allowed origin\'s 500 keeps its CORS headers', { path: '/boom', headers: { Origin: APP } }, { status: 500, acao: APP, acac: 'true', expose: 'x-request-id', vary: 'Origin' }],
  ['an allowed origin\'s 404 error keeps its CORS headers', { path: '/missing', headers: { Origin: APP } }, { status: 404, acao: APP, acac: 'true', expose: 'x-request-id', vary: 'Origin' }],
  ['a rejected origin\'s 500 has no CORS headers, only Vary', { path: '/boom', headers: { Origin: 'https://evil.example', Cookie: 's=1' } }, { status: 500, acao: undefined, acac: undefined, expose: undefined, vary: 'Origin' }],
  ['a rejected origin\'s 404 error has no CORS headers, only Vary', { path: '/missing', headers: { Origin: 'https://evil.example' } }, { status: 404, acao: undefined, acac: undefined, expose: undefined, vary: 'Origin' }],
  ['no Origin: the 500 carries Vary, for shared caches', { path: '/boom' }, { status: 500, acao: undefined, vary: 'Origin' }],
  ['public route: any origin, no credentials, no Vary', { path: '/public/logo', headers: { Origin: 'https://evil.example' } }, { status: 200, acao: '*', acac: undefined, vary: undefined }],
];

/** Origins a careless matcher would let in; none of them may get an Access-Control-Allow-Origin. */
const BYPASSES = [
  'https://app.example.com.evil.net', 'https://evilapp.example.com', 'https://app.example.com:8443', 'http://app.example.com',
  'https://app.example.co', 'https://preview.example.com', 'https://x.preview.example.com.evil.net', 'https://xpreview.example.com',
  'https://app.example.com@evil.net', 'https://evil.net#app.example.com', 'https://app.example.com%60.evil.net',
  'https://app.example.com/', 'https://app.example.com.', 'null', 'file://', 'https://app.example.com,https://evil.net',
  'https://xn--app-example-com.evil.net', 'https://[::1]', 'javascript://app.example.com',
];

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s conforms', (_name, adapter) => {
  let app: RunningApp;
  beforeAll(async () => { app = await adapter.start(POLICY); });
  afterAll(async () => app.close());

  it.each(CASES)('%s', async (_case, r, expected) => {
    expect(seen(await send(app.port, r))).toMatchObject(expected);
  });

  it.each(BYPASSES)('bypass attempt %j gets no grant, actual, error or preflight', async (origin) => {
    const actual = await send(app.port, { path: '/api/items', headers: { Origin: origin, Cookie: 's=1' } });
    expect([actual.status, actual.headers['access-control-allow-origin'], actual.headers['access-control-allow-credentials']]).toEqual([200, undefined, undefined]);
    const error = await send(app.port, { path: '/boom', headers: { Origin: origin, Cookie: 's=1' } });
    expect([error.status, error.headers['access-control-allow-origin'], error.headers['access-control-allow-credentials']]).toEqual([500, undefined, undefined]);
    const pre = await send(app.port, preflight(origin));
    expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([403, undefined]);
  });

  it('counts exactly under concurrency, and /metrics shows it', async () => {
    const fresh = await adapter.start(POLICY);
    try {
      const mix: Req[] = [];
      for (let i = 0; i < 40; i++) mix.push({ path: `/api/items/${i}`, headers: { Origin: APP } });
      for (let i = 0; i < 30; i++) mix.push({ path: '/api/items', headers: { Origin: `https://evil${i}.example` } });
      for (let i = 0; i < 20; i++) mix.push(preflight(APP));
      for (let i = 0; i < 10; i++) mix.push(preflight(APP, 'PUT', 'x-admin'));
      for (let i = 0; i < 15; i++) mix.push({ path: '/api/items' });
      const answers = await Promise.all(mix.map((r) => send(fresh.port, r)));
      expect(answers.every((a) => a.status === 200 || a.status === 204 || a.status === 403)).toBe(true);
      const text = (await send(fresh.port, { path: '/metrics' })).body;
      expect(sumSamples(text, 'cors_requests_total', { request_type: 'actual', outcome: 'allowed', origin: APP })).toBe(40);
      expect(sumSamples(text, 'cors_requests_total', { request_type: 'actual', outcome: 'rejected' })).toBe(30);
      expect(sumSamples(text, 'cors_requests_total', { request_type: 'preflight', outcome: 'allowed' })).toBe(20);
      expect(sumSamples(text, 'cors_violations_total', { request_type: 'preflight', reason: 'header_not_allowed' })).toBe(10);
      expect(sumSamples(text, 'cors_violations_total', { request_type: 'actual', reason: 'origin_not_allowed' })).toBe(30);
      expect(sumSamples(text, 'cors_preflight_duration_seconds_count', { route: 'default' })).toBe(30);
      // The scrape itself has no Origin: 15 + 1 requests without CORS.
      expect(sumSamples(text, 'cors_non_cors_requests_total', { route: 'default' })).toBe(16);
      expect(sumSamples(text, 'cors_config_info', { route: 'public', origin_policy: 'any', credentials: 'false' })).toBe(1);
      expect(sumSamples(text, 'cors_response_findings_total')).toBe(0);
      expect(text).toMatch(/^# TYPE cors_distinct_rejected_origins gauge$/m);
    } finally {
      await fresh.close();
    }
  });
});
