/**
 * The `evidence` option over real sockets: what a real client sent (preflight method and headers,
 * credentialed grants, Sec-Fetch-Site) lands in the file on close, the file is written atomically, and a
 * restart merges the file left by the previous run (counts summed, days united).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import cors from 'cors';
import Fastify from 'fastify';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { parseEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import type { EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';
import { listen, send } from '../support/http';

const APP = 'https://app.example.com';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 9);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'evidence-mw-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const read = (file: string): EvidenceFile => parseEvidence(readFileSync(file, 'utf8'));
const entryOf = (file: EvidenceFile, origin: string, route?: string) => file.entries.find((e) => e.origin === origin && (route === undefined || e.route === route));

/** One run of an Express app with the enforcing middleware: traffic, then close (the shutdown path). */
async function expressRun(file: string, instance: string, now: number): Promise<void> {
  const mw = corsSentinel({
    logger: false, metrics: false, credentials: true,
    routes: [{ path: '/api/*', origins: [APP], methods: ['GET', 'PUT'], allowedHeaders: ['content-type', 'x-trace'] }],
    evidence: { file, instance, now: () => now },
  });
  const app = express();
  app.use(mw);
  app.all('/api/items', (_req, res) => void res.send('ok'));
  const server = await listen(app);
  try {
    const pre = await send(server.port, '/api/items', { Origin: APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'Content-Type, X-Trace', 'Sec-Fetch-Site': 'cross-site' }, 'OPTIONS');
    expect(pre.status).toBe(204);
    await send(server.port, '/api/items', { Origin: APP, 'Sec-Fetch-Site': 'cross-site', Cookie: 'sid=1' }, 'PUT');
    await send(server.port, '/api/items', { Origin: 'https://evil.example' });
    await send(server.port, '/api/items'); // no Origin: not CORS, not evidence
  } finally {
    await server.close();
    mw.close();
  }
}

describe('evidence from the Express middleware', () => {
  it('records what the client sent, writes the file on close and merges it across a restart', async () => {
    const file = join(dir, 'cors-evidence.json');
    await expressRun(file, 'web:1', T0);
    const first = read(file);
    expect(entryOf(first, APP)).toEqual({
      route: '/api/*', origin: APP, firstSeen: T0, lastSeen: T0, days: ['2026-11-02'],
      preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 1, rejected: 0 }, methods: { PUT: 2 },
      headers: { 'content-type': 1, 'x-trace': 1 }, credentialedGrants: 2, secFetchSite: { 'cross-site': 2 }, instances: ['web:1'],
    });
    expect(entryOf(first, 'https://evil.example')).toMatchObject({ actual: { allowed: 0, rejected: 1 }, credentialedGrants: 0, secFetchSite: { absent: 1 } });
    expect(first.entries).toHaveLength(2);

    await expressRun(file, 'web:2', T0 + DAY); // a restart the next day
    const second = read(file);
    expect(entryOf(second, APP)).toMatchObject({
      firstSeen: T0, lastSeen: T0 + DAY, days: ['2026-11-02', '2026-11-03'], preflight: { allowed: 2, rejected: 0 }, actual: { allowed: 2, rejected: 0 },
      methods: { PUT: 4 }, credentialedGrants: 4, instances: ['web:1', 'web:2'],
    });
    expect(Object.keys(second.instances).sort()).toEqual(['web:1', 'web:2']);
    expect(second.days).toEqual(['2026-11-02', '2026-11-03']);
    expect(readdirSync(dir)).toEqual(['cors-evidence.json']); // no temporary file left behind
  });

  it('writes the file periodically while it runs, always whole', async () => {
    const file = join(dir, 'cors-evidence.json');
    const mw = corsSentinel({ logger: false, metrics: false, origins: [APP], evidence: { file, flushIntervalMs: 1_000 } });
    const app = express();
    app.use(mw);
    app.get('/', (_req, res) => void res.send('ok'));
    const server = await listen(app);
    try {
      let seen: EvidenceFile | undefined;
      for (let i = 0; i < 100 && (seen === undefined || seen.entries.length === 0); i++) {
        await send(server.port, '/', { Origin: APP });
        if (existsSync(file)) seen = read(file); // every read parses: never a torn file
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(entryOf(seen as EvidenceFile, APP)?.route).toBe('*');
    } finally {
      await server.close();
      mw.close();
    }
  });

  it('leaves an existing file that is not evidence untouched and writes to a side file', async () => {
    const file = join(dir, 'cors-evidence.json');
    writeFileSync(file, '{"not":"evidence"}');
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => void warnings.push(m), info: () => undefined } as never;
    const mw = corsSentinel({ logger, metrics: false, origins: [APP], evidence: { file } });
    mw.close();
    expect(readFileSync(file, 'utf8')).toBe('{"not":"evidence"}');
    const side = readdirSync(dir).filter((f) => f !== 'cors-evidence.json');
    expect(side).toHaveLength(1);
    expect(read(join(dir, side[0] as string)).format).toBe('cors-sentinel-evidence');
    expect(warnings.join('\n')).toMatch(/cannot be read.*side file/);
  });

  it('refuses bad evidence options together with the other problems', () => {
    let error: unknown;
    try {
      corsSentinel({ origins: [APP], metrics: { originLabelLimit: -1 }, evidence: { file: '', flushIntervalMs: 10, instance: '', colour: 1 } as never });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorsConfigError);
    const paths = (error as CorsConfigError).problems.map((p) => p.path).sort();
    expect(paths).toEqual(['evidence.colour', 'evidence.file', 'evidence.flushIntervalMs', 'evidence.instance', 'metrics.originLabelLimit']);
    expect(() => corsSentinel({ origins: [APP], reportOnly: { origins: [APP], evidence: { file: 'x' } } as never })).toThrow(/reportOnly.evidence/);
  });
});

describe('evidence from corsObserver in front of a layer that reflects every origin', () => {
  it('records the grants the other layer made, credentialed ones included, keyed on the first path segment', async () => {
    const file = join(dir, 'observed.json');
    const observer = corsObserver({ logger: false, metrics: false, evidence: { file, instance: 'obs:1', now: () => T0 } });
    const app = express();
    app.use(observer);
    app.use(cors({ origin: true, credentials: true }));
    app.all('/api/items', (_req, res) => void res.send('ok'));
    const server = await listen(app);
    try {
      await send(server.port, '/api/items', { Origin: 'https://tenant.example', 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Headers': 'authorization', 'Sec-Fetch-Site': 'cross-site' }, 'OPTIONS');
      await send(server.port, '/api/items', { Origin: 'https://tenant.example', 'Sec-Fetch-Site': 'cross-site' }, 'DELETE');
      await send(server.port, '/other/thing', { Origin: 'https://tenant.example', 'Sec-Fetch-Site': 'same-site' });
    } finally {
      await server.close();
      observer.close();
    }
    const ledger = read(file);
    expect(entryOf(ledger, 'https://tenant.example', '/api/*')).toMatchObject({
      preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 1, rejected: 0 }, methods: { DELETE: 2 }, headers: { authorization: 1 }, credentialedGrants: 2,
    });
    expect(entryOf(ledger, 'https://tenant.example', '/other/*')).toMatchObject({ actual: { allowed: 1, rejected: 0 }, secFetchSite: { 'same-site': 1 } });
  });
});

describe('evidence from the Fastify plugin', () => {
  it('writes the ledger when Fastify closes', async () => {
    const file = join(dir, 'fastify.json');
    const app = Fastify();
    await app.register(fastifyCorsSentinel, { logger: false, metrics: false, origins: [APP], methods: ['GET', 'PATCH'], evidence: { file, instance: 'fastify:1', now: () => T0 } });
    app.get('/x', async () => 'ok');
    app.patch('/x', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as import('node:net').AddressInfo).port;
    await send(port, '/x', { Origin: APP, 'Access-Control-Request-Method': 'PATCH', 'Sec-Fetch-Site': 'cross-site' }, 'OPTIONS');
    await send(port, '/x', { Origin: APP, 'Sec-Fetch-Site': 'cross-site' }, 'PATCH');
    await send(port, '/x', { Origin: 'null' });
    await app.close();
    const ledger = read(file);
    expect(entryOf(ledger, APP)).toMatchObject({ route: '*', preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 1, rejected: 0 }, methods: { PATCH: 2 }, instances: ['fastify:1'] });
    expect(entryOf(ledger, 'null')).toMatchObject({ actual: { allowed: 0, rejected: 1 } });
  });
});
