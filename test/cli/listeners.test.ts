/**
 * Every configured listener of every long-running command binds, or the process exits non-zero naming
 * the flag and the address (a proxy that kept serving without its /metrics would be blind and look
 * healthy); and a METRICS_BEARER_TOKEN that is set but empty or blank is a configuration error, not
 * "no auth". Over the built CLI, against a port held by another server.
 */
import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AggregatorRegistry, Registry } from 'prom-client';
import { clusterMetrics } from '../../packages/cors-sentinel/src/metrics/cluster';
import { serveMetrics } from '../../packages/cors-sentinel/src/metrics/handler';
import { CLI } from '../support/processes';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'cors-listeners-'));
let holder: http.Server;
let taken: string;
let takenPort: number;
beforeAll(async () => {
  writeFileSync(path.join(dir, 'policy.yaml'), 'origins:\n  - https://app.example.com\n');
  writeFileSync(path.join(dir, 'probe.yml'), 'modules:\n  web: {}\ntargets: [http://127.0.0.1:1/api]\n');
  holder = http.createServer((_req, res) => res.end('someone else'));
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  takenPort = (holder.address() as AddressInfo).port;
  taken = `127.0.0.1:${takenPort}`;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((r) => holder.close(r));
});

/** Runs the CLI until it exits (or 20 s pass: then it is still serving, which is the failure). */
function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const policy = (): string => path.join(dir, 'policy.yaml');
const proxyArgs = (...extra: string[]): string[] => ['proxy', '--policy', policy(), '--upstream', 'http://127.0.0.1:9', ...extra];

describe('a listener that cannot bind ends the command with the address named', () => {
  it.each([
    ['proxy --metrics-listen', () => proxyArgs('--listen', '127.0.0.1:0', '--metrics-listen', taken), '--metrics-listen'],
    ['proxy --listen', () => proxyArgs('--listen', taken, '--metrics-listen', '127.0.0.1:0'), '--listen'],
    ['logs --metrics-listen', () => ['logs', '--format', 'nginx-json', '--metrics-listen', taken, '-'], '--metrics-listen'],
    ['probe --serve', () => ['probe', '--serve', taken, '--config', path.join(dir, 'probe.yml')], '--serve'],
    ['demo --port', () => ['demo', '--port', String(takenPort), '--no-traffic', '--summary-interval', '0'], '--port'],
    ['demo --metrics-port', () => ['demo', '--port', '0', '--metrics-port', String(takenPort), '--no-traffic', '--summary-interval', '0'], '--metrics-port'],
    ['stack webhook --port', () => ['stack', 'webhook', '--host', '127.0.0.1', '--port', String(takenPort)], '--port'],
  ])('%s', async (_name, args, flag) => {
    const { code, output } = await run(args());
    expect(code).toBe(2);
    expect(output).toContain(flag);
    expect(output).toContain(String(takenPort));
    expect(output).toMatch(/EADDRINUSE/);
    expect(output).not.toMatch(/listening on|metrics on/);
  });

  it('serveMetrics() rejects naming the address', async () => {
    await expect(serveMetrics(new Registry(), { port: takenPort })).rejects.toThrow(new RegExp(`EADDRINUSE.*${taken}`));
  });

  it('clusterMetrics() in the primary rejects naming the address and leaves no listener behind', async () => {
    new AggregatorRegistry(); // prom-client adds its own cluster listener once, on the first one
    const before = cluster.listenerCount('message');
    await expect(clusterMetrics({ port: takenPort })).rejects.toThrow(new RegExp(`EADDRINUSE.*${taken}`));
    expect(cluster.listenerCount('message')).toBe(before);
  });
});

describe('an empty or blank metrics token is a configuration error', () => {
  it.each([
    ['proxy, empty', proxyArgs('--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'), 'METRICS_BEARER_TOKEN', ''],
    ['proxy, blank', proxyArgs('--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'), 'METRICS_BEARER_TOKEN', '  \t'],
    ['logs, empty', ['logs', '--format', 'nginx-json', '--metrics-listen', '127.0.0.1:0', '-'], 'METRICS_BEARER_TOKEN', ''],
    ['demo, blank', ['demo', '--port', '0', '--no-traffic', '--summary-interval', '0'], 'METRICS_TOKEN', ' '],
  ])('%s', async (_name, args, variable, value) => {
    const { code, output } = await run(args, { [variable]: value });
    expect(code).toBe(2);
    expect(output).toContain(`${variable} is set but`);
    expect(output).toMatch(/unset/);
    expect(output).not.toMatch(/listening on|metrics on/);
  });
});
