/**
 * The prober's signed identity through the real middleware (docs/prober.md#signed-probes): the real
 * prober (`runProbe`) with the target's key, against Express, Koa and node:http entries and the proxy's
 * observer over real sockets. Verified probes are counted in `cors_verified_probe_requests_total` only,
 * out of the request, violation and distinct-origin series and the violation log, and they get the same
 * answers as unsigned ones. A probe signed with another key is an attack like any other, and is seen
 * as such (`cors_probe_signature_failures_total`, a log line).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import Koa from 'koa';
import winston from 'winston';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { nodeCorsRequest } from '../../packages/cors-sentinel/src/adapters/node-request';
import type { CorsRequest } from '../../packages/cors-sentinel/src/engine/decision';
import { createObserver } from '../../packages/cors-sentinel/src/observer/observer';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { runProbe } from '../../packages/cli/src/probe/probe';
import { loadExporterConfig } from '../../packages/cli/src/probe/config';
import { runCli } from './run-cli';
import { startProxy } from '../proxy/support';
import type { ProbeReport } from '../../packages/cli/src/probe/types';

const KEY = Buffer.from('0123456789abcdef'.repeat(4));
const WRONG_KEY = Buffer.from('fedcba9876543210'.repeat(4));
const FRONTEND = 'https://app.example.com';

function captureLogger(): { logger: winston.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), cb()) });
  return { logger: winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }), lines };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

async function sumOf(registry: Registry, name: string, match: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(match).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

/** The answers a probe judged, without what varies between runs. */
function verdicts(report: ProbeReport): unknown {
  return report.findings.map((f) => [f.class, f.severity]);
}

type Entry = (registry: Registry, logger: winston.Logger) => Server;
const policy = (registry: Registry, logger: winston.Logger) => ({ origins: [FRONTEND], credentials: true, probeKey: KEY, logger, metrics: { registry } });
const ENTRIES: Array<[string, Entry]> = [
  ['Express', (registry, logger) => {
    const app = express();
    app.use(corsSentinel(policy(registry, logger)));
    app.get('/api/me', (_req, res) => void res.json({ ok: true }));
    return createServer(app);
  }],
  ['node:http', (registry, logger) => createServer(corsSentinelHandler(policy(registry, logger), (_req, res) => res.end('{}')))],
  ['Koa', (registry, logger) => {
    const app = new Koa();
    app.use(koaCorsSentinel(policy(registry, logger)));
    app.use((ctx) => void (ctx.body = { ok: true }));
    return createServer(app.callback());
  }],
];

describe.each(ENTRIES)('signed probes against %s', (_name, make) => {
  it('counts a verified probe apart: no rejected series, no distinct origin, no violation line', async () => {
    const registry = new Registry();
    const { logger, lines } = captureLogger();
    const server = make(registry, logger);
    const url = await listen(server);
    try {
      const signed = await runProbe({ url, probeKey: KEY, concurrency: 2 });
      expect(signed.requestsSent).toBeGreaterThan(30);
      // The baseline request without Origin is not a CORS request and is counted as before.
      expect(await sumOf(registry, 'cors_verified_probe_requests_total')).toBeGreaterThan(30);
      expect(await sumOf(registry, 'cors_verified_probe_requests_total', { outcome: 'rejected' })).toBeGreaterThan(25);
      expect(await sumOf(registry, 'cors_requests_total')).toBe(0);
      expect(await sumOf(registry, 'cors_violations_total')).toBe(0);
      expect(await sumOf(registry, 'cors_distinct_rejected_origins')).toBe(0);
      expect(await sumOf(registry, 'cors_probe_signature_failures_total')).toBe(0);
      expect(lines.filter((l) => l.message === 'cors violation')).toEqual([]);

      // The same probe with another key: an attack, counted and logged as one; the answers are the same.
      const forged = await runProbe({ url, probeKey: WRONG_KEY, concurrency: 2 });
      expect(verdicts(forged)).toEqual(verdicts(signed));
      expect(await sumOf(registry, 'cors_requests_total', { outcome: 'rejected' })).toBeGreaterThan(25);
      expect(await sumOf(registry, 'cors_distinct_rejected_origins', { window: '5m' })).toBeGreaterThan(20);
      expect(await sumOf(registry, 'cors_probe_signature_failures_total', { reason: 'mismatch' })).toBe(await sumOf(registry, 'cors_requests_total'));
      expect(lines.some((l) => l.message === 'cors probe signature not verified' && l.reason === 'mismatch')).toBe(true);
      expect(lines.some((l) => l.message === 'cors violation')).toBe(true);
    } finally {
      await close(server);
    }
  });
});

describe('signed probes, other entries', () => {
  it('the probe sees the same answers with and without a key', async () => {
    const registry = new Registry();
    const server = createServer(corsSentinelHandler(policy(registry, winston.createLogger({ silent: true })), (_req, res) => res.end('{}')));
    const url = await listen(server);
    try {
      const [unsigned, signed] = [await runProbe({ url, concurrency: 2 }), await runProbe({ url, probeKey: KEY, concurrency: 2 })];
      expect(verdicts(signed)).toEqual(verdicts(unsigned));
      expect(signed.requestsSent).toBe(unsigned.requestsSent);
    } finally {
      await close(server);
    }
  });

  it('the observer (proxy observe mode, corsObserver) counts verified probes apart too', async () => {
    const registry = new Registry();
    const observer = createObserver({ probeKey: KEY, expectedOrigins: [FRONTEND], metrics: { registry }, logger: false });
    const server = createServer((req, res) => {
      const observation = observer.begin(nodeCorsRequest(req) as CorsRequest, req.headers.origin);
      res.end('{}');
      // The observed layer grants nothing: every probe origin is "rejected" by it.
      observation.complete({ status: 200, header: () => undefined });
    });
    const url = await listen(server);
    try {
      await runProbe({ url, probeKey: KEY, concurrency: 2 });
      expect(await sumOf(registry, 'cors_verified_probe_requests_total')).toBeGreaterThan(30);
      expect(await sumOf(registry, 'cors_requests_total')).toBe(0);
    } finally {
      await close(server);
      observer.close();
    }
  });

  it.each(['enforce', 'observe'] as const)('the sidecar proxy (%s mode) with probeKey counts verified probes apart', async (mode) => {
    const backend = createServer((_req, res) => res.end('{}'));
    const upstream = await listen(backend);
    const proxy = await startProxy({ upstream: new URL(upstream).origin, mode, policy: { origins: [FRONTEND], probeKey: KEY } });
    try {
      await runProbe({ url: `${proxy.url}/api/me`, probeKey: KEY, concurrency: 2 });
      expect(await proxy.metric('cors_verified_probe_requests_total')).toBeGreaterThan(30);
      expect(await proxy.metric('cors_requests_total')).toBe(0);
      await runProbe({ url: `${proxy.url}/api/me`, probeKey: WRONG_KEY, concurrency: 2 });
      expect(await proxy.metric('cors_requests_total', { outcome: 'rejected' })).toBeGreaterThan(25);
    } finally {
      await proxy.stop();
      await close(backend);
    }
  });

  it.each([
    ['a short string', 'x'.repeat(31), 'probeKey weak_probe_key'],
    ['a number', 42, 'probeKey invalid_type'],
  ])('refuses %s as probeKey on every entry, with the fix', (_case, probeKey, expected) => {
    const problems = (f: () => unknown): string[] => {
      try {
        f();
      } catch (err) {
        if (err instanceof CorsConfigError) return err.problems.map((p) => `${p.path} ${p.code}`);
        throw err;
      }
      return [];
    };
    const options = { origins: [FRONTEND], probeKey, logger: false as const, metrics: false as const } as never;
    expect(problems(() => createSentinel(options))).toEqual([expected]);
    expect(problems(() => corsSentinel(options))).toEqual([expected]);
    expect(problems(() => koaCorsSentinel(options))).toEqual([expected]);
    expect(problems(() => createObserver({ probeKey, logger: false, metrics: false } as never))).toEqual([expected]);
    expect(() => createSentinel(options)).toThrow(/at least 32 are needed|string or a Buffer/);
  });
});

describe('key files of the tools', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-probe-keys-'));
    writeFileSync(join(dir, 'short.key'), 'too-short\n');
    writeFileSync(join(dir, 'good.key'), `${'ab'.repeat(32)}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('probe --key-file and proxy --probe-key-file refuse a short key with exit 2, before contacting anything', async () => {
    const probe = await runCli(['probe', 'http://127.0.0.1:9/', '--key-file', join(dir, 'short.key')]);
    expect([probe.code, probe.stderr]).toEqual([2, expect.stringMatching(/--key-file: the probe key file .*short\.key holds 9 bytes; at least 32 are needed/)]);
    const proxy = await runCli(['proxy', '--policy', join(dir, 'none.yaml'), '--upstream', 'http://127.0.0.1:9', '--probe-key-file', join(dir, 'short.key')]);
    expect([proxy.code, proxy.stderr]).toEqual([2, expect.stringMatching(/--probe-key-file: the probe key file .*holds 9 bytes/)]);
  });

  it('the exporter reads a module\'s keyFile at start-up and names a bad one', () => {
    const config = (keyFile: string): string => {
      const file = join(dir, `probe-${keyFile}.yml`);
      writeFileSync(file, `modules:\n  web:\n    keyFile: ${join(dir, keyFile)}\ntargets:\n  - http://127.0.0.1:9/\n`);
      return file;
    };
    expect(loadExporterConfig(config('good.key')).modules.get('web')?.probeKey?.toString()).toBe('ab'.repeat(32));
    expect(() => loadExporterConfig(config('short.key'))).toThrow(/modules\.web\.keyFile: the probe key file .* holds 9 bytes/);
  });
});
