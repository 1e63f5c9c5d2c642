/**
 * `cors-sentinel logs` as on-call runs it: a reader that cannot read its log must say so on /healthz
 * (and once on stderr) instead of looking like a quiet log, and must pick the log up again by itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, startProcess, type Started } from '../support/processes';
import { sumSamples } from '../support/metrics-text';
import { sleep, waitFor } from '../support/wait';

let proc: Started | undefined;
let dir: string;

afterEach(async () => {
  await proc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('answers 503 on /healthz while the log cannot be read, says why once, and recovers when it can', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cors-logs-cli-'));
  const file = path.join(dir, 'access.log');
  mkdirSync(file); // opens, but every read fails (EISDIR): a log the reader cannot read
  proc = await startProcess('node', [CLI, 'logs', '--format', 'nginx-json', '--poll-ms', '50', '--metrics-listen', '127.0.0.1:0', file],
    /metrics on (http:\/\/[\d.:]+)\/metrics[^]*reading /);
  const admin = proc.match[1] as string;
  const health = async () => {
    const res = await fetch(`${admin}/healthz`);
    return { status: res.status, body: await res.text() };
  };

  await waitFor(async () => (await health()).status === 503, '/healthz to fail', { context: () => proc?.output() ?? '' });
  expect((await health()).body).toMatch(/^log not readable: .*EISDIR/);
  await sleep(300);
  expect(proc.output().match(/cannot read .*EISDIR/g)).toHaveLength(1); // once per outage, not per poll

  rmSync(file, { recursive: true });
  writeFileSync(file, `${JSON.stringify({ method: 'GET', uri: '/api', status: 200, origin: 'https://app.example.com', host: 'api.example.com' })}\n`);
  await waitFor(async () => (await health()).status === 200, '/healthz to recover', { context: () => proc?.output() ?? '' });
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  expect(sumSamples(metrics, 'cors_log_lines_total')).toBe(1);
});
