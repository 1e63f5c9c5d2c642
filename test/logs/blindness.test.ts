/**
 * `cors-sentinel logs` says when it is blind (issue #30): a mistyped path, lines in another format and a
 * log_format without the CORS fields are printed on stderr at start and on every change of state, and
 * /healthz answers 503 with the reason once the state has lasted --blind-after-ms; a log with the
 * cors_json fields is healthy again. It exports no preflight "latency" (a log line holds none), prints the
 * log_format it expects (the one docs/proxy.md shows), and its default metrics port is not the proxy's.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ROOT, startProcess, type Started } from '../support/processes';
import { waitFor } from '../support/wait';

let proc: Started | undefined;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cors-logs-blind-'));
});
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const FULL = {
  time: '2026-01-01T00:00:00+00:00', http_origin: 'https://app.example.com', host: 'api.example.com', scheme: 'https', http_sec_fetch_site: 'cross-site',
  request_method: 'OPTIONS', uri: '/api/items', status: '204', http_access_control_request_method: 'PUT', http_access_control_request_headers: '',
  sent_http_access_control_allow_origin: 'https://app.example.com', sent_http_access_control_allow_credentials: '', sent_http_access_control_allow_methods: 'PUT',
  sent_http_access_control_allow_headers: '', sent_http_vary: 'Origin',
};
const line = (fields: object): string => `${JSON.stringify(fields)}\n`;

async function start(file: string): Promise<{ health: () => Promise<{ status: number; body: string }>; admin: string }> {
  proc = await startProcess('node', [CLI, 'logs', '--format', 'nginx-json', '--poll-ms', '50', '--blind-after-ms', '400', '--metrics-listen', '127.0.0.1:0', file],
    /metrics on (http:\/\/[\d.:]+)\/metrics[^]*reading /);
  const admin = proc.match[1] as string;
  return {
    admin,
    health: async () => {
      const res = await fetch(`${admin}/healthz`);
      return { status: res.status, body: await res.text() };
    },
  };
}
const stderrSays = (text: RegExp): Promise<void> => waitFor(() => text.test(proc?.output() ?? ''), `stderr to say ${text}`, { context: () => proc?.output() ?? '' });

it('a mistyped path: says so at start, 503 after the grace period, healthy once the right lines arrive', async () => {
  const file = path.join(dir, 'acess.log');
  const { health } = await start(file);
  await stderrSays(/"blind":true,"state":"no_file","reason":"the log file does not exist/);
  await waitFor(async () => (await health()).status === 503, '/healthz to fail', { context: () => proc?.output() ?? '' });
  expect((await health()).body).toMatch(/^blind: the log file does not exist/);

  writeFileSync(file, line(FULL));
  await stderrSays(/"blind":false,"state":"reading","reason":"reading: lines carry the CORS fields"/);
  expect(await health()).toEqual({ status: 200, body: 'ok\n' });
});

it('a log_format without the CORS fields, then malformed lines: each change on stderr once, 503 with the reason', async () => {
  const file = path.join(dir, 'access.log');
  writeFileSync(file, '');
  const { health } = await start(file);
  await stderrSays(/"state":"no_line_yet","reason":"reading, no line yet"/);
  expect((await health()).status).toBe(200); // a quiet log is not blindness

  appendFileSync(file, line({ request_method: 'GET', uri: '/api/items', status: '200' })); // nginx's usual fields only
  await stderrSays(/"blind":true,"state":"fields_missing","reason":"the log_format lacks host, http_origin, sent_http_access_control_allow_origin/);
  await waitFor(async () => (await health()).status === 503, '/healthz to fail', { context: () => proc?.output() ?? '' });
  expect((await health()).body).toMatch(/^blind: the log_format lacks host, http_origin/);

  appendFileSync(file, '127.0.0.1 - - [01/Jan/2026] "GET / HTTP/1.1" 200 12\n'.repeat(3)); // the combined format
  await stderrSays(/"blind":true,"state":"malformed","reason":"all 3 recent line\(s\) are malformed/);
  appendFileSync(file, line(FULL));
  await stderrSays(/"state":"reading","reason":"reading: lines carry the CORS fields"/);
  await waitFor(async () => (await health()).status === 200, '/healthz to recover', { context: () => proc?.output() ?? '' });
  const output = proc?.output() ?? '';
  expect(output.match(/log_format lacks/g)).toHaveLength(1); // on a change, not on every tick
  expect(output.match(/"state":"malformed"/g)).toHaveLength(1);
  for (const l of output.split('\n').filter((l) => l.includes('cors log reader state'))) expect(JSON.parse(l)).toMatchObject({ message: 'cors log reader state' });
});

it('exports no preflight duration from a log, and counts the preflight it read', async () => {
  const file = path.join(dir, 'access.log');
  writeFileSync(file, '');
  const { admin } = await start(file);
  appendFileSync(file, line(FULL));
  await stderrSays(/"state":"reading"/);
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  expect(metrics).toMatch(/^cors_requests_total\{.*request_type="preflight".*\} 1$/m);
  expect(metrics).not.toContain('cors_preflight_duration_seconds');
});

it('prints the log_format docs/proxy.md shows, and listens by default on a port other than the proxy\'s 9464', () => {
  const printed = spawnSync(process.execPath, [CLI, 'logs', '--print-log-format'], { encoding: 'utf8' });
  expect(printed.status).toBe(0);
  const docs = readFileSync(path.join(ROOT, 'docs/proxy.md'), 'utf8');
  const block = /```nginx\n(log_format cors_json[^]*?)\n```/.exec(docs)?.[1] as string;
  const oneLine = (text: string): string => text.replace(/'\n\s*'/g, '').trim();
  expect(oneLine(printed.stdout)).toBe(oneLine(block));
  const help = spawnSync(process.execPath, [CLI, 'logs', '--help'], { encoding: 'utf8' }).stdout;
  expect(help).toMatch(/default 127\.0\.0\.1:9465; the proxy's is 127\.0\.0\.1:9464/);
});
