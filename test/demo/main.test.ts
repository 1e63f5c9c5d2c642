/**
 * The main job, as a user runs it: the built CLI's demo, checked with plain HTTP requests, the
 * traffic simulator as a separate process, and the /metrics text linted by the real promtool.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { CLI, describeIfCommand, startProcess, type Started } from '../support/processes';
import { sumSamples } from '../support/metrics-text';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const r = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('demo (npm start)', () => {
  let demo: Started;
  let base: string;

  beforeAll(async () => {
    demo = await startProcess('node', [CLI, 'demo', '--port', '0', '--no-traffic'], /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    base = demo.match[1] as string;
  });
  afterAll(() => demo?.stop());

  it('answers an allowed origin with ACAO and Vary: Origin, and a rejected preflight with a bare 403', async () => {
    const allowed = await send(base, 'GET', '/api/products', { Origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers.vary).toBe('Origin');
    const rejected = await send(base, 'OPTIONS', '/api/orders/1', { Origin: 'https://evil.example.net', 'Access-Control-Request-Method': 'PUT' });
    expect(rejected.status).toBe(403);
    expect(rejected.body).toBe('');
    expect(Object.keys(rejected.headers).filter((h) => h.startsWith('access-control'))).toEqual([]);
    const tenant = await send(base, 'OPTIONS', '/api/orders/1', { Origin: 'https://shop.acme-corp.com', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' });
    expect(tenant.status).toBe(204);
    const mobile = await send(base, 'GET', '/api/products', { Origin: 'capacitor://localhost' });
    expect(mobile.headers['access-control-allow-origin']).toBe('capacitor://localhost');
    const pub = await send(base, 'GET', '/public/status', { Origin: 'https://anyone.example' });
    expect(pub.headers['access-control-allow-origin']).toBe('*');

    const metrics = (await send(base, 'GET', '/metrics')).body;
    expect(sumSamples(metrics, 'cors_requests_total', { route: 'products', request_type: 'actual', outcome: 'allowed', origin: 'https://app.example.com' })).toBe(1);
    expect(sumSamples(metrics, 'cors_violations_total', { route: 'orders', request_type: 'preflight', reason: 'origin_not_allowed' })).toBe(1);
    expect(sumSamples(metrics, 'cors_preflight_duration_seconds_count', { route: 'orders' })).toBe(2);
    expect(sumSamples(metrics, 'cors_preflight_duration_seconds_bucket', { route: 'orders', outcome: 'rejected', le: '+Inf' })).toBe(1);
    expect(sumSamples(metrics, 'cors_requests_total')).toBe(5);
  });

  it('counts every request the traffic simulator sends', async () => {
    const before = (await send(base, 'GET', '/metrics')).body;
    const out = execFileSync('node', [CLI, 'traffic', '--target', base, '--rate', '100', '--profile', 'attack', '--duration-ms', '1500'], { encoding: 'utf8' });
    const stats = JSON.parse(out.trim().split('\n').pop() as string) as { sent: Record<string, number>; statuses: Record<string, number> };
    const sent = Object.values(stats.sent).reduce((a, b) => a + b, 0);
    expect(sent).toBeGreaterThan(50);
    expect(stats.statuses['0']).toBeUndefined();
    const after = (await send(base, 'GET', '/metrics')).body;
    const counted = (text: string) => sumSamples(text, 'cors_requests_total') + sumSamples(text, 'cors_non_cors_requests_total');
    expect(counted(after) - counted(before)).toBe(sent);
    expect(sumSamples(after, 'cors_violations_total', { reason: 'headers_too_large' })).toBe(stats.sent.header_stuffing ?? 0);
  });
});

describeIfCommand('promtool')('demo /metrics under promtool', () => {
  it('passes promtool check metrics after simulated traffic', async () => {
    const demo = await startProcess('node', [CLI, 'demo', '--port', '0', '--rate', '200', '--profile', 'attack'], /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    try {
      // Wait for traffic by count, not by time: a loaded machine (or a slower Node) sends it later.
      let text = '';
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        text = (await send(demo.match[1] as string, 'GET', '/metrics')).body;
        if (sumSamples(text, 'cors_requests_total') > 100) break;
      }
      expect(sumSamples(text, 'cors_requests_total')).toBeGreaterThan(100);
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(lint.stdout + lint.stderr).toBe('');
      expect(lint.status).toBe(0);
    } finally {
      await demo.stop();
    }
  });
});

describe('demo terminal summary (npm start)', () => {
  it('prints a compact summary instead of JSON lines, and writes the violation log to a file', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'cors-demo-log-')), 'demo.log');
    const demo = await startProcess(
      'node',
      [CLI, 'demo', '--port', '0', '--rate', '40', '--profile', 'attack', '--summary-interval', '1', '--log-file', logFile],
      /last 1s: (\d+) cross-origin \(allowed (\d+), rejected (\d+)\)[^\n]*preflights per actual request\n {2}top rejected origins: \S+/,
      20_000,
    );
    try {
      expect(Number(demo.match[1])).toBe(Number(demo.match[2]) + Number(demo.match[3]));
      expect(demo.output()).toContain(`logged as JSON lines to ${logFile}`);
      expect(demo.output()).not.toMatch(/^\{"/m);
      await new Promise((r) => setTimeout(r, 300));
      const lines = readFileSync(logFile, 'utf8').trim().split('\n');
      expect(JSON.parse(lines[0] as string)).toHaveProperty('level');
    } finally {
      await demo.stop();
    }
  });
});

describe('demo with /metrics on a separate, protected port', () => {
  it('serves no metrics on the API port and refuses the metrics port without the token', async () => {
    const demo = await startProcess('node', [CLI, 'demo', '--port', '0', '--metrics-port', '0', '--no-traffic'], /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*metrics: +curl -s -H 'Authorization: Bearer …' (http:\/\/127\.0\.0\.1:\d+)\/metrics/, 15_000, { METRICS_TOKEN: 'scrape-secret-0123456789' });
    try {
      const [api, metricsBase] = [demo.match[1] as string, demo.match[2] as string];
      expect(metricsBase).not.toBe(api);
      await send(api, 'GET', '/api/products', { Origin: 'https://app.example.com' });
      const onApi = await send(api, 'GET', '/metrics');
      expect(onApi.status).toBe(404);
      expect(onApi.body).not.toContain('cors_');
      const anonymous = await send(metricsBase, 'GET', '/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).not.toContain('cors_');
      const wrong = await send(metricsBase, 'GET', '/metrics', { Authorization: 'Bearer guess' });
      expect(wrong.status).toBe(401);
      const scraper = await send(metricsBase, 'GET', '/metrics', { Authorization: 'Bearer scrape-secret-0123456789' });
      expect(scraper.status).toBe(200);
      expect(sumSamples(scraper.body, 'cors_requests_total', { origin: 'https://app.example.com' })).toBe(1);
    } finally {
      await demo.stop();
    }
  });
});
