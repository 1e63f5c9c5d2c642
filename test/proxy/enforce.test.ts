/**
 * Enforce mode in front of a real Flask app under gunicorn: the security rules (docs/threat-model.md) checked
 * on what actually goes over the wire through the proxy, and the backend's own CORS headers replaced.
 */
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { send, startProxy, type RunningProxy } from './support';

const POLICY = {
  origins: ['https://app.example.com', 'https://*.tenant.example.com'],
  credentials: true,
  methods: ['GET', 'POST', 'PUT'],
  allowedHeaders: ['content-type', 'x-request-id'],
  maxAge: 600,
};
const APP = 'https://app.example.com';

describeIfCommand('gunicorn')('proxy enforce mode in front of plain Flask', () => {
  let flask: RunningGunicorn;
  let proxy: RunningProxy;
  beforeAll(async () => {
    flask = await startGunicorn({ corsMode: 'none' });
    proxy = await startProxy({ upstream: flask.url, policy: POLICY, mode: 'enforce' });
  });
  afterAll(async () => {
    await proxy?.stop();
    await flask?.stop();
  });

  it('grants an allowed origin on the actual response, with credentials and Vary: Origin', async () => {
    const res = await send(proxy.url, { path: '/api/items', headers: { origin: APP, cookie: 'sid=1' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ items: [1, 2, 3], method: 'GET' });
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it.each([
    'https://app.example.com.evil.com', 'https://evilapp.example.com', 'http://app.example.com', 'https://app.example.com:8443',
    'https://tenant.example.com', 'https://a.tenant.example.com.evil.com', 'null', 'file://', 'https://app.example.com@evil.com', 'not an origin',
  ])('rule 2/3: %s gets no CORS headers on an actual response, still Vary: Origin', async (origin) => {
    const res = await send(proxy.url, { path: '/api/items', headers: { origin } });
    expect(res.status).toBe(200); // CORS is not access control: the backend answered, the browser hides it
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('rule 7: the proxy answers preflights itself; other OPTIONS reach Flask', async () => {
    const pre = await send(proxy.url, {
      method: 'OPTIONS', path: '/api/items', headers: { origin: 'https://x.tenant.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'Content-Type, X-Request-Id' },
    });
    expect(pre.status).toBe(204);
    expect(pre.body).toBe('');
    expect(pre.headers['access-control-allow-origin']).toBe('https://x.tenant.example.com');
    expect(pre.headers['access-control-allow-methods']).toContain('PUT');
    expect(pre.headers['access-control-max-age']).toBe('600');
    expect(pre.headers.vary).toMatch(/Access-Control-Request-Method/);
    const plain = await send(proxy.url, { method: 'OPTIONS', path: '/api/items', headers: { origin: APP } });
    expect(JSON.parse(plain.body).method).toBe('OPTIONS');
  });

  it.each([
    ['a header outside the allowlist', { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-evil' }],
    ['a method outside the allowlist', { 'access-control-request-method': 'DELETE' }],
    ['an untrusted origin', { 'access-control-request-method': 'PUT', origin: 'https://evil.example' }],
  ])('rules 8/9: a preflight with %s is refused 403 and reveals nothing of the policy', async (_what, headers) => {
    const res = await send(proxy.url, { method: 'OPTIONS', path: '/api/items', headers: { origin: APP, ...headers } });
    expect(res.status).toBe(403);
    for (const name of Object.keys(res.headers)) expect(name.startsWith('access-control-')).toBe(false);
  });

  it('rule 6: Vary from Flask is appended to, never overwritten', async () => {
    const res = await send(proxy.url, { path: '/api/vary', headers: { origin: APP } });
    expect(res.headers.vary?.split(/\s*,\s*/).sort()).toEqual(['Accept-Encoding', 'Origin']);
  });

  it('counts decisions in the metric contract', async () => {
    const before = await proxy.metric('cors_requests_total', { outcome: 'rejected', origin: '__other__' });
    await send(proxy.url, { path: '/api/items', headers: { origin: 'https://counted.evil.example' } });
    expect(await proxy.metric('cors_requests_total', { route: 'default', request_type: 'actual', outcome: 'allowed', origin: APP })).toBeGreaterThan(0);
    expect(await proxy.metric('cors_requests_total', { outcome: 'rejected' })).toBeGreaterThan(before);
  });
});

describeIfCommand('gunicorn')('proxy enforce mode in front of a Flask app that sets its own CORS headers', () => {
  let flask: RunningGunicorn;
  let proxy: RunningProxy;
  beforeAll(async () => {
    flask = await startGunicorn({ corsMode: 'stacked' }); // Access-Control-Allow-Origin: * on everything
    proxy = await startProxy({ upstream: flask.url, policy: POLICY, mode: 'enforce' });
  });
  afterAll(async () => {
    await proxy?.stop();
    await flask?.stop();
  });

  it("removes the backend's CORS headers and counts backend_cors_headers_replaced", async () => {
    const evil = await send(proxy.url, { path: '/api/items', headers: { origin: 'https://evil.example' } });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined(); // the backend said *, the policy says no
    expect(evil.headers['access-control-allow-methods']).toBeUndefined();
    const app = await send(proxy.url, { path: '/api/items', headers: { origin: APP } });
    expect(app.headers['access-control-allow-origin']).toBe(APP);
    expect(app.headers['access-control-allow-methods']).toBeUndefined();
    expect(await proxy.metric('cors_response_findings_total', { finding: 'backend_cors_headers_replaced' })).toBe(2);
  });
});
