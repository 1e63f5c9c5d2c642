/**
 * `--evidence` on the two commands (dist/ build, as operators run them): `logs --once` turning
 * timestamped nginx-json logs spanning several days into evidence, with clear failures that write
 * nothing; and the sidecar proxy recording what it enforced, written on SIGTERM.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import { CLI, startProcess } from '../support/processes';
import { send } from '../proxy/support';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'cors-evidence-cli-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const run = (args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile('node', [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

const APP = 'https://app.example.com';
const WEEKLY = 'https://weekly.example.com';

/** One cors_json line as nginx writes it (escape=json: absent values are ""). */
function line(time: string, origin: string, over: Record<string, string> = {}): string {
  return JSON.stringify({
    time, http_origin: origin, host: 'api.example.com', scheme: 'https', http_sec_fetch_site: 'cross-site', request_method: 'GET', uri: '/api/items', status: '200',
    http_access_control_request_method: '', http_access_control_request_headers: '', sent_http_access_control_allow_origin: origin,
    sent_http_access_control_allow_credentials: 'true', sent_http_access_control_allow_methods: '', sent_http_access_control_allow_headers: '', sent_http_vary: 'Origin', ...over,
  });
}

describe('cors-sentinel logs --once --evidence', () => {
  it('turns logs spanning several days into evidence dated by each line, and exits 0', async () => {
    const march = path.join(dir, 'access.log.1');
    const april = path.join(dir, 'access.log');
    const days = ['2026-03-01', '2026-03-02', '2026-03-05'];
    writeFileSync(march, `${days.map((d) => line(`${d}T10:00:00+00:00`, APP)).join('\n')}\n${line('2026-03-08T23:30:00-02:00', WEEKLY)}\n`);
    writeFileSync(april, [
      line('2026-04-01T08:00:00+00:00', APP, { request_method: 'OPTIONS', http_access_control_request_method: 'PUT', http_access_control_request_headers: 'content-type', status: '204', sent_http_access_control_allow_methods: 'PUT', sent_http_access_control_allow_headers: 'content-type' }),
      line('2026-04-01T08:00:01+00:00', 'https://evil.example', { sent_http_access_control_allow_origin: '', sent_http_access_control_allow_credentials: '' }),
      'not json at all',
    ].join('\n'));
    const out = path.join(dir, 'OUT.json');
    const r = await run(['logs', '--format', 'nginx-json', '--once', '--evidence', out, march, april]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/7 lines from 2 file\(s\): 6 observed, 1 malformed/);
    const evidence = parseEvidence(readFileSync(out, 'utf8'));
    const app = evidence.entries.find((e) => e.origin === APP);
    expect(app).toMatchObject({
      route: '/api/*', days: ['2026-03-01', '2026-03-02', '2026-03-05', '2026-04-01'], firstSeen: Date.parse('2026-03-01T10:00:00Z'), lastSeen: Date.parse('2026-04-01T08:00:00Z'),
      preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 3, rejected: 0 }, methods: { GET: 3, PUT: 1 }, headers: { 'content-type': 1 }, credentialedGrants: 4, secFetchSite: { 'cross-site': 4 },
    });
    // 23:30 at UTC-2 is the next day in UTC.
    expect(evidence.entries.find((e) => e.origin === WEEKLY)?.days).toEqual(['2026-03-09']);
    expect(evidence.entries.find((e) => e.origin === 'https://evil.example')).toMatchObject({ actual: { allowed: 0, rejected: 1 } });
    const [instance] = Object.values(evidence.instances);
    expect(instance).toEqual({ firstSeen: Date.parse('2026-03-01T10:00:00Z'), lastSeen: Date.parse('2026-04-01T08:00:01Z') });
    expect(evidence.days).toEqual(['2026-03-01', '2026-03-02', '2026-03-05', '2026-03-09', '2026-04-01']);
  });

  it('exits non-zero, naming the file and writing nothing, on an unreadable file or a wrong format', async () => {
    const out = path.join(dir, 'OUT.json');
    const missing = await run(['logs', '--format', 'nginx-json', '--once', '--evidence', out, path.join(dir, 'nope.log')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.log: cannot read it \(ENOENT\)/);
    const combined = path.join(dir, 'combined.log');
    writeFileSync(combined, '127.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl"\n'.repeat(3));
    const wrong = await run(['logs', '--format', 'nginx-json', '--once', '--evidence', out, combined]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/combined\.log: none of its 3 lines is an nginx-json/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an existing --evidence file that is not evidence, and leaves it untouched', async () => {
    const out = path.join(dir, 'OUT.json');
    writeFileSync(out, '{"torn":');
    const log = path.join(dir, 'a.log');
    writeFileSync(log, `${line('2026-03-01T10:00:00+00:00', APP)}\n`);
    const r = await run(['logs', '--format', 'nginx-json', '--once', '--evidence', out, log]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--evidence .*OUT\.json: the existing file cannot be used[^]*not JSON/);
    expect(readFileSync(out, 'utf8')).toBe('{"torn":');
  });
});

describe('cors-sentinel proxy --evidence', () => {
  let upstream: Server;
  beforeEach(async () => {
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => new Promise<void>((r) => upstream.close(() => r())));

  it('records what the proxy enforced and writes it on SIGTERM', async () => {
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, `routes:\n  - path: /api/*\n    origins: [${APP}]\n    credentials: true\n`);
    const out = path.join(dir, 'proxy-evidence.json');
    const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const proxy = await startProcess('node', [CLI, 'proxy', '--policy', policy, '--upstream', up, '--listen', '127.0.0.1:0', '--evidence', out], /listening on (http:\/\/[\d.:]+)/);
    try {
      const url = proxy.match[1] as string;
      await send(url, { path: '/api/items', method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'sec-fetch-site': 'cross-site' } });
      await send(url, { path: '/api/items', method: 'POST', headers: { origin: APP, 'sec-fetch-site': 'cross-site' } });
      await send(url, { path: '/api/items', headers: { origin: 'https://evil.example' } });
      const exited = new Promise<number | null>((resolve) => proxy.child.once('exit', (code) => resolve(code)));
      proxy.child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await proxy.stop();
    }
    const evidence = parseEvidence(readFileSync(out, 'utf8'));
    expect(evidence.entries.find((e) => e.origin === APP)).toMatchObject({
      route: '/api/*', preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 1, rejected: 0 }, methods: { POST: 2 }, headers: { 'content-type': 1 }, credentialedGrants: 2,
    });
    expect(evidence.entries.find((e) => e.origin === 'https://evil.example')).toMatchObject({ route: '/api/*', actual: { allowed: 0, rejected: 1 } });
  });
});
