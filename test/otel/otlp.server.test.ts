/**
 * `--otlp-endpoint` end to end, as operators run the commands (dist/ build): `cors-sentinel proxy` in
 * front of a backend and `cors-sentinel logs` on stdin push their metrics over OTLP/HTTP to a receiver
 * in this test (no OpenTelemetry Collector can be installed on these machines: docs/opentelemetry.md).
 * After real requests through the proxy, an export holds exactly the series and values that the same
 * process's /metrics shows; headers from OTEL_EXPORTER_OTLP_HEADERS arrive; SIGTERM sends a last export.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, startProcess, type Started } from '../support/processes';
import { send } from '../proxy/support';
import { seriesOf } from './pipeline';
import { otlpSeries, serviceName, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';

let dir: string;
let receiver: OtlpReceiver;
let backend: http.Server;
let upstream: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cors-otlp-'));
  receiver = await startOtlpReceiver();
  backend = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await receiver.close();
  await new Promise((resolve) => backend.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const requestsOf = (series: Map<string, number>, outcome: string) =>
  [...series].filter(([k]) => k.startsWith('cors_requests_total{') && k.includes(`outcome="${outcome}"`)).reduce((a, [, v]) => a + v, 0);

describe('cors-sentinel proxy --otlp-endpoint', () => {
  let proxy: Started;
  afterEach(() => proxy?.stop());

  it('pushes the series of its /metrics, with the same values, and a last export on SIGTERM', async () => {
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, 'origins:\n  - https://app.example.com\nmethods: [GET, PUT]\ncredentials: true\nlogging:\n  maxPerInterval: 1\n');
    proxy = await startProcess(
      'node',
      [CLI, 'proxy', '--policy', policy, '--upstream', upstream, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--otlp-endpoint', `${receiver.url}/v1/metrics`],
      /pushed over OTLP/,
      15_000,
      { OTEL_METRIC_EXPORT_INTERVAL: '300', OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer otlp-test-token' },
    );
    const url = /listening on (http:\/\/[\d.:]+)/.exec(proxy.output())?.[1] as string;
    const admin = /metrics on (http:\/\/[\d.:]+)\/metrics/.exec(proxy.output())?.[1] as string;
    for (let i = 0; i < 3; i++) expect((await send(url, { path: '/api/items', headers: { origin: 'https://app.example.com' } })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const res = await send(url, { method: 'OPTIONS', path: '/api/items', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
      expect(res.status).toBe(204);
    }
    await send(url, { path: '/api/items', headers: { origin: 'https://evil.example.net' } });
    await send(url, { path: '/api/items' });

    // Nothing moves any more: the next export after a scrape of /metrics must show what it shows.
    const scraped = seriesOf(await (await fetch(`${admin}/metrics`)).text());
    expect(requestsOf(scraped, 'allowed')).toBe(5);
    const after = Date.now();
    const exported = await receiver.waitFor((r) => requestsOf(otlpSeries(r.body), 'allowed') === 5, 15_000, after);
    expect(otlpSeries(exported.body)).toEqual(scraped);
    for (const name of ['cors_requests_total', 'cors_violations_total', 'cors_preflight_duration_seconds_bucket', 'cors_non_cors_requests_total', 'cors_config_info', 'cors_distinct_rejected_origins']) {
      expect([...scraped.keys()].some((k) => k.startsWith(`${name}{`))).toBe(true);
    }
    expect(otlpSeries(exported.body).get('cors_preflight_duration_seconds_count{outcome="allowed",route="default"}')).toBe(2);
    expect(exported.path).toBe('/v1/metrics');
    expect(exported.headers.authorization).toBe('Bearer otlp-test-token');
    expect(exported.headers['content-type']).toMatch(/application\/json/);
    expect(serviceName(exported.body)).toBe('cors-sentinel-proxy');

    // A request, then SIGTERM at once: the drain's last export carries it.
    await send(url, { path: '/api/items', headers: { origin: 'https://app.example.com' } });
    const stopping = Date.now();
    const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', (code) => resolve(code)));
    proxy.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await receiver.waitFor((r) => requestsOf(otlpSeries(r.body), 'allowed') === 6, 5_000, stopping);
  });
});

describe('cors-sentinel logs --otlp-endpoint', () => {
  it('exports what it read on stdin when stopped, before any interval passed', async () => {
    const line = (origin: string, acao: string) =>
      JSON.stringify({ http_origin: origin, host: 'api.example.com', request_method: 'GET', uri: '/api/items', status: '200', sent_http_access_control_allow_origin: acao, sent_http_vary: 'Origin' });
    const started = Date.now();
    const child = spawn('node', [CLI, 'logs', '--format', 'nginx-json', '--expected-origins', 'https://app.example.com', '--metrics-listen', '127.0.0.1:0', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // The general variable: /v1/metrics is appended; the interval is far beyond the test.
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '600000', OTEL_SERVICE_NAME: 'edge-logs' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 15_000;
      while (!/reading stdin/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/pushed over OTLP to http:\/\/127\.0\.0\.1:\d+\/v1\/metrics every 600000 ms/);
      child.stdin.write(`${line('https://app.example.com', 'https://app.example.com')}\n${line('https://app.example.com', 'https://app.example.com')}\n`);
      const admin = /metrics on (http:\/\/[\d.:]+)\/metrics/.exec(out)?.[1] as string;
      while (requestsOf(seriesOf(await (await fetch(`${admin}/metrics`)).text()), 'allowed') < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const exported = await receiver.waitFor((r) => serviceName(r.body) === 'edge-logs', 5_000, started);
      expect(requestsOf(otlpSeries(exported.body), 'allowed')).toBe(2);
      expect(exported.path).toBe('/v1/metrics');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses an endpoint that is not an http(s) URL with a usage error (exit 2), before reading', async () => {
    const child = spawn('node', [CLI, 'logs', '--format', 'nginx-json', '--otlp-endpoint', 'collector:4318', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(err).toMatch(/--otlp-endpoint "collector:4318": only http:\/\/ and https:\/\//);
  });
});
