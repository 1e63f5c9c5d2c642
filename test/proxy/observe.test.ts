/**
 * Observe mode in front of real Flask-CORS configurations: responses pass through byte for byte,
 * the backend's CORS answers are audited (findings), and the policy as report-only candidate counts
 * what a switch to enforce mode would change.
 */
import { startGunicorn, type Gunicorn } from './support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { send, startProxy, type RunningProxy } from './support';

const POLICY = { origins: ['https://app.example.com'], credentials: true, methods: ['GET', 'POST', 'PUT'] };
const APP = 'https://app.example.com';
const EVIL = ['https://evil.example', 'https://attacker.example.net', 'https://app.example.com.evil.com'];

function observed(corsMode: 'open' | 'credentials') {
  const ctx = {} as { flask: Gunicorn; proxy: RunningProxy };
  beforeAll(async () => {
    ctx.flask = await startGunicorn({ corsMode });
    ctx.proxy = await startProxy({ upstream: ctx.flask.url, policy: POLICY, mode: 'observe' });
  });
  afterAll(async () => {
    await ctx.proxy?.stop();
    await ctx.flask?.stop();
  });
  return ctx;
}

describeIfCommand('gunicorn')('observe mode in front of Flask-CORS CORS(app), wide open', () => {
  const ctx = observed('open');

  it("changes nothing: Flask-CORS's answer reaches the client as it was", async () => {
    const direct = await send(ctx.flask.url, { path: '/api/items', headers: { origin: 'https://evil.example' } });
    const proxied = await send(ctx.proxy.url, { path: '/api/items', headers: { origin: 'https://evil.example' } });
    expect(proxied.status).toBe(direct.status);
    expect(proxied.body).toBe(direct.body);
    // Flask-CORS 3 without send_wildcard reflects whatever Origin arrives
    expect(proxied.headers['access-control-allow-origin']).toBe('https://evil.example');
    expect(direct.headers['access-control-allow-origin']).toBe('https://evil.example');
    expect(proxied.headers.vary).toBe(direct.headers.vary);
    const pre = await send(ctx.proxy.url, { method: 'OPTIONS', path: '/api/items', headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' } });
    expect(pre.status).toBe(200); // Flask-CORS answers its own preflights; the proxy does not
    expect(pre.headers['access-control-allow-methods']).toContain('DELETE');
  });

  it('counts every untrusted origin as allowed by the backend and as would_reject by the policy', async () => {
    const before = await ctx.proxy.metric('cors_shadow_decisions_total', { change: 'would_reject' });
    for (const origin of EVIL) await send(ctx.proxy.url, { path: '/api/items', headers: { origin } });
    await send(ctx.proxy.url, { path: '/api/items', headers: { origin: APP } });
    await ctx.proxy.proxy.registry.metrics(); // flush batched counters
    expect(await ctx.proxy.metric('cors_shadow_decisions_total', { change: 'would_reject' })).toBe(before + EVIL.length);
    for (const origin of EVIL) expect(await ctx.proxy.metric('cors_requests_total', { request_type: 'actual', outcome: 'allowed', origin })).toBeGreaterThan(0);
    expect(await ctx.proxy.metric('cors_requests_total', { outcome: 'allowed', origin: APP })).toBeGreaterThan(0);
  });

  it('a preflight for a method outside the policy would be rejected by enforce mode', async () => {
    const before = await ctx.proxy.metric('cors_shadow_decisions_total', { change: 'would_reject' });
    await send(ctx.proxy.url, { method: 'OPTIONS', path: '/api/items', headers: { origin: APP, 'access-control-request-method': 'DELETE' } });
    expect(await ctx.proxy.metric('cors_shadow_decisions_total', { change: 'would_reject' })).toBe(before + 1);
  });
});

describeIfCommand('gunicorn')('observe mode in front of CORS(app, supports_credentials=True)', () => {
  const ctx = observed('credentials');

  it('finds credentialed reflection of every untrusted origin, and leaves the response alone', async () => {
    for (const origin of EVIL) {
      const res = await send(ctx.proxy.url, { path: '/api/items', headers: { origin, cookie: 'session=1' } });
      expect(res.headers['access-control-allow-origin']).toBe(origin); // Flask-CORS reflects: the hole is real
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    }
    await send(ctx.proxy.url, { path: '/api/items', headers: { origin: APP, cookie: 'session=1' } });
    expect(await ctx.proxy.metric('cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(EVIL.length);
  });

  it('a probe origin under .invalid proves the reflection even for an origin nobody listed', async () => {
    const before = await ctx.proxy.metric('cors_response_findings_total', { finding: 'reflected_origin_with_credentials' });
    await send(ctx.proxy.url, { path: '/api/items', headers: { origin: 'https://probe.invalid' } });
    expect(await ctx.proxy.metric('cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(before + 1);
  });
});
