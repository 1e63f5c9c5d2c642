/**
 * The two commands as operators run them (dist/ build): `cors-sentinel proxy` with a YAML policy file
 * in front of Flask, drained by SIGTERM; `cors-sentinel logs` reading nginx-json lines on stdin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { sumSamples } from '../support/metrics-text';
import { CLI, describeIfCommand, startProcess } from '../support/processes';
import { send } from './support';

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'cors-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeIfCommand('gunicorn')('cors-sentinel proxy', () => {
  let flask: RunningGunicorn;
  beforeAll(async () => (flask = await startGunicorn()));
  afterAll(() => flask?.stop());

  it('enforces a YAML policy, serves /metrics and /healthz, and drains on SIGTERM', async () => {
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, 'origins:\n  - https://app.example.com\ncredentials: true\nlogging:\n  maxPerInterval: 1\n');
    const proxy = await startProcess(
      'node',
      [CLI, 'proxy', '--policy', policy, '--upstream', flask.url, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'],
      /metrics on (http:\/\/[\d.:]+)\/metrics/,
    );
    try {
      const url = /listening on (http:\/\/[\d.:]+)/.exec(proxy.output())?.[1] as string;
      const admin = proxy.match[1] as string;
      const res = await send(url, { path: '/api/items', headers: { origin: 'https://app.example.com' } });
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect((await fetch(`${admin}/healthz`)).status).toBe(200);
      expect(sumSamples(await (await fetch(`${admin}/metrics`)).text(), 'cors_requests_total', { outcome: 'allowed' })).toBe(1);
      const slow = send(url, { path: '/api/slow?s=0.7' });
      await new Promise((r) => setTimeout(r, 200));
      const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', (code) => resolve(code)));
      proxy.child.kill('SIGTERM');
      expect((await slow).status).toBe(200);
      expect(await exited).toBe(0);
      expect(proxy.output()).toMatch(/draining[\s\S]*stopped/);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a dangerous policy file with the config error, before listening', async () => {
    const policy = path.join(dir, 'bad.yaml');
    writeFileSync(policy, "origins: '*'\ncredentials: true\n");
    const child = spawn('node', [CLI, 'proxy', '--policy', policy, '--upstream', flask.url, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(out).toMatch(/credentials_with_any_origin/);
    expect(out).not.toMatch(/listening/);
  });

  it('names every problem with its fix', async () => {
    const child = spawn('node', [CLI, 'proxy', '--mode', 'audit'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2); // a usage error
    expect(err).toMatch(/--policy FILE is required/);
    expect(err).toMatch(/--upstream URL is required/);
    expect(err).toMatch(/--mode "audit": use enforce or observe/);
  });
});

describe('cors-sentinel logs', () => {
  it('reads nginx-json lines from stdin and counts findings, malformed lines and rejections', async () => {
    const line = (origin: string, acao: string) =>
      JSON.stringify({ http_origin: origin, host: 'api.example.com', request_method: 'GET', uri: '/api/items', status: '200', sent_http_access_control_allow_origin: acao, sent_http_access_control_allow_credentials: acao ? 'true' : '', sent_http_vary: 'Origin' });
    const child = spawn('node', [CLI, 'logs', '--format', 'nginx-json', '--expected-origins', 'https://app.example.com', '--metrics-listen', '127.0.0.1:0', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let out = '';
      const admin = await new Promise<string>((resolve) => child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /metrics on (http:\/\/[\d.:]+)\/metrics/.exec(out);
        if (m) resolve(m[1] as string);
      }));
      child.stdin.end([line('https://app.example.com', 'https://app.example.com'), line('https://evil.example', 'https://evil.example'), line('https://other.example', ''), '{"broken"', ''].join('\n'));
      let text = '';
      for (let i = 0; i < 100 && sumSamples(text, 'cors_log_lines_total') < 4; i++) {
        await new Promise((r) => setTimeout(r, 50));
        text = await (await fetch(`${admin}/metrics`)).text();
      }
      expect(sumSamples(text, 'cors_log_lines_total', { result: 'observed' })).toBe(3);
      expect(sumSamples(text, 'cors_log_lines_total', { result: 'malformed' })).toBe(1);
      expect(sumSamples(text, 'cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(1);
      expect(sumSamples(text, 'cors_requests_total', { outcome: 'rejected' })).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
