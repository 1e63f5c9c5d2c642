/** Every example in examples/ runs against the built package and does what its comment says. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { send } from '../support/exchange';
import { sumSamples } from '../support/metrics-text';
import { ROOT, startProcess, type Started } from '../support/processes';

const APP = 'https://app.example.com';

/** A POST with a JSON body (send() carries none), headers exactly as given. */
function postJson(port: number, headers: Record<string, string>, body: unknown): Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = require('node:http').request(
      { host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers: { 'Content-Type': 'application/json', ...headers }, agent: false, setHost: headers.Host === undefined },
      (r: import('node:http').IncomingMessage) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

type Check = (port: number) => Promise<void>;

const CHECKS: Record<string, Check> = {
  async express(port) {
    const pre = await send(port, { method: 'OPTIONS', path: '/api/items', headers: { Origin: 'https://pr-1.preview.example.com', 'Access-Control-Request-Method': 'PUT' } });
    expect([pre.status, pre.headers['access-control-allow-origin'], pre.headers['access-control-max-age']]).toEqual([204, 'https://pr-1.preview.example.com', '600']);
    const pub = await send(port, { path: '/public/status', headers: { Origin: 'https://anyone.example' } });
    expect(pub.headers['access-control-allow-origin']).toBe('*');
    expect(sumSamples((await send(port, { path: '/metrics' })).body, 'cors_requests_total')).toBe(2);
  },
  async 'node-http'(port) {
    const ok = await send(port, { path: '/items', headers: { Origin: APP } });
    expect([ok.body, ok.headers['access-control-allow-credentials']]).toEqual(['{"path":"/items"}', 'true']);
    const refused = await send(port, { method: 'OPTIONS', path: '/items', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } });
    expect(refused.status).toBe(403);
  },
  async fastify(port) {
    const pre = await send(port, { method: 'OPTIONS', path: '/api/items/7', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } });
    expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, APP]);
    expect((await send(port, { path: '/metrics' })).body).toContain('cors_requests_total{route="default",request_type="preflight",outcome="allowed",origin="https://app.example.com"} 1');
  },
  async koa(port) {
    const res = await send(port, { path: '/x', headers: { Origin: APP } });
    expect([res.body, res.headers['access-control-expose-headers'], res.headers['x-request-id']]).toEqual(['{"path":"/x"}', 'x-request-id', '42']);
  },
  async 'tenant-store'(port) {
    const ask = async (tenant: string, origin: string) => (await send(port, { path: `/t/${tenant}/widgets`, headers: { Origin: origin } })).headers['access-control-allow-origin'];
    expect(await ask('acme', 'https://acme.example')).toBe('https://acme.example');
    expect(await ask('globex', 'https://acme.example')).toBeUndefined(); // another tenant's origin
    expect(await ask('acme', 'https://new.acme.example')).toBeUndefined();
    await new Promise<void>((resolve, reject) => {
      const req = require('node:http').request({ host: '127.0.0.1', port, method: 'POST', path: '/admin/acme/origins', headers: { 'Content-Type': 'text/plain' } }, (r: import('node:http').IncomingMessage) => { r.resume(); r.on('end', resolve); });
      req.on('error', reject);
      req.end('https://new.acme.example');
    });
    expect(await ask('acme', 'https://new.acme.example')).toBe('https://new.acme.example');
  },
  async observer(port) {
    const res = await send(port, { path: '/api/me', headers: { Origin: 'https://evil.example', Cookie: 's=1' } });
    expect(res.headers['access-control-allow-origin']).toBe('https://evil.example'); // unchanged: the legacy layer answers
    const text = (await send(port, { path: '/metrics' })).body;
    expect(sumSamples(text, 'cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(1);
    expect(sumSamples(text, 'cors_shadow_decisions_total', { change: 'would_reject' })).toBe(1);
  },
  async 'mcp-local'(port) {
    const init = await postJson(port, {}, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect([init.status, JSON.parse(init.body).result.serverInfo.name]).toEqual([200, 'cors-sentinel-example']);
    const session = init.headers['mcp-session-id'] as string;
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } };
    // The MCP Inspector (an allowed origin) reads the answer and the session header.
    const inspector = await postJson(port, { Origin: 'http://localhost:6274', 'Mcp-Session-Id': session }, call);
    expect([inspector.status, inspector.headers['access-control-allow-origin'], inspector.headers['access-control-expose-headers'], JSON.parse(inspector.body).result.content[0].text])
      .toEqual([200, 'http://localhost:6274', 'mcp-session-id', 'hi']);
    // A page on another origin, and a DNS-rebinding page (its own name in Host), are refused before the server runs.
    const attacks: Record<string, string>[] = [{ Origin: 'http://localhost.evil.example', 'Mcp-Session-Id': session }, { Host: `evil.example:${port}`, 'Mcp-Session-Id': session }];
    for (const headers of attacks) {
      expect((await postJson(port, headers, call)).status).toBe(403);
    }
    const text = (await send(port, { path: '/metrics' })).body;
    expect(sumSamples(text, 'cors_violations_total', { reason: 'host_not_allowed' })).toBe(1);
    // The foreign origin's POST was stopped first by cross-origin protection (enforce mode), which counts it there.
    expect(sumSamples(text, 'cors_cross_origin_requests_total', { decision: 'blocked' })).toBe(1);
  },
  async 'policy-file'(port) {
    const account = await send(port, { path: '/api/account/me', headers: { Origin: 'https://pr-3.review.example.com' } });
    expect([account.body, account.headers['access-control-allow-origin']]).toEqual(['{"me":true}', undefined]);
    const other = await send(port, { path: '/api/items', headers: { Origin: 'https://pr-3.review.example.com' } });
    expect(other.headers['access-control-allow-origin']).toBe('https://pr-3.review.example.com');
  },
};

const examples = readdirSync(path.join(ROOT, 'examples')).filter((d) => existsSync(path.join(ROOT, 'examples', d, 'server.js')));

describe('examples/', () => {
  it('has a check for every example, and an example for every check', () => {
    expect(examples.sort()).toEqual(Object.keys(CHECKS).sort());
  });

  it.each(examples)('%s runs', async (name) => {
    if (!existsSync(path.join(ROOT, 'packages/cors-sentinel/dist/cjs/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
    let server: Started | undefined;
    try {
      server = await startProcess(process.execPath, [`examples/${name}/server.js`], /listening on http:\/\/127\.0\.0\.1:(\d+)/, 15_000, { PORT: '0' });
      await (CHECKS[name] as Check)(Number(server.match[1]));
    } finally {
      await server?.stop();
    }
  });
});
