/**
 * Test apps with known CORS mistakes behind the observer: each produces exactly its finding count,
 * and correct apps produce none.
 */
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver, type CorsObserverMiddleware } from '../../packages/cors-sentinel/src/adapters/express-observer';
import type { CorsObserverOptions } from '../../packages/cors-sentinel/src/observer/observer';
import { findingCounts, listen, memoryLogger, send, type Req, type Running } from '../support/exchange';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';
const PROBE = 'https://probe.cors-sentinel.invalid';

/** One of each kind of request a browser sends, from a trusted origin, an untrusted one and none. */
const TRAFFIC: Req[] = [
  { path: '/api', headers: { Origin: APP } },
  { path: '/api', headers: { Origin: APP, Cookie: 'sid=1' } },
  { path: '/api', headers: { Origin: EVIL } },
  { path: '/api', headers: { Origin: EVIL, Cookie: 'sid=1' } },
  { path: '/api', headers: { Origin: 'null' } },
  { method: 'OPTIONS', path: '/api', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } },
  { method: 'OPTIONS', path: '/api', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' } },
  { path: '/api' },
];

async function run(layers: RequestHandler[], traffic: Req[] = TRAFFIC, options: CorsObserverOptions = {}) {
  const registry = new Registry();
  const log = memoryLogger();
  const observer: CorsObserverMiddleware = corsObserver({ metrics: { registry }, logger: log.logger, expectedOrigins: [APP], ...options });
  const app = express();
  app.use(observer);
  for (const layer of layers) app.use(layer);
  app.all('/api', (_req, res) => { res.send('data'); });
  const server: Running = await listen(app);
  try {
    for (const r of traffic) await send(server.port, r);
  } finally {
    observer.close();
    await server.close();
  }
  return { counts: await findingCounts(registry), lines: log.lines };
}

/** The `$http_origin` anti-pattern: echo whatever Origin arrives, with credentials. */
const reflectAny: RequestHandler = (req, res, next) => {
  if (req.headers.origin) {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.vary('Origin');
  }
  if (req.method === 'OPTIONS') { res.setHeader('Access-Control-Allow-Methods', 'GET, PUT'); res.setHeader('Access-Control-Allow-Headers', 'content-type'); res.sendStatus(204); return; }
  next();
};

/** A correct hand-written layer: allowlist, Vary on every answer, quiet rejections. */
const correctByHand: RequestHandler = (req, res, next) => {
  res.vary('Origin');
  const allowed = req.headers.origin === APP;
  if (allowed) { res.setHeader('Access-Control-Allow-Origin', APP); res.setHeader('Access-Control-Allow-Credentials', 'true'); }
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    if (!allowed) { res.sendStatus(403); return; }
    res.setHeader('Access-Control-Allow-Methods', 'GET, PUT');
    res.setHeader('Access-Control-Allow-Headers', 'content-type');
    res.sendStatus(204);
    return;
  }
  next();
};

describe('observer findings', () => {
  test('an app that reflects any Origin with credentials', async () => {
    const { counts, lines } = await run([reflectAny]);
    // EVIL ×2 actual + EVIL preflight are unlisted and granted with credentials; null is granted too.
    expect(counts).toEqual({ reflected_origin_with_credentials: 4, null_origin_granted: 1 });
    const line = lines.find((l) => l.finding === 'reflected_origin_with_credentials');
    expect(line).toMatchObject({ message: 'cors finding', origin: EVIL, route: 'default' });
  });

  test('the same app, detected by a .invalid probe without a list of expected origins', async () => {
    const probes: Req[] = [{ path: '/api', headers: { Origin: PROBE } }, { path: '/api', headers: { Origin: APP } }, { path: '/api', headers: { Origin: EVIL } }];
    expect((await run([reflectAny], probes, { expectedOrigins: undefined })).counts).toEqual({ reflected_origin_with_credentials: 1 });
  });

  test('cors({ origin: true, credentials: true }) is reflection too', async () => {
    expect((await run([cors({ origin: true, credentials: true })])).counts).toEqual({ reflected_origin_with_credentials: 4, null_origin_granted: 1 });
  });

  test('an app that sets Access-Control-Allow-Origin twice (two stacked layers)', async () => {
    const second: RequestHandler = (req, res, next) => { if (req.headers.origin) res.append('Access-Control-Allow-Origin', req.headers.origin); next(); };
    // cors() puts "*" on every response and ends the 2 preflights itself; the other 5 requests with an
    // Origin get a second value ("*, null" also grants null).
    expect((await run([cors(), second])).counts).toEqual({ acao_duplicated: 5, null_origin_granted: 1 });
  });

  test('an app that forgets Vary: Origin', async () => {
    const noVary: RequestHandler = (req, res, next) => {
      if (req.headers.origin === APP) res.setHeader('Access-Control-Allow-Origin', APP);
      if (req.method === 'OPTIONS') { res.setHeader('Access-Control-Allow-Methods', 'PUT'); res.setHeader('Access-Control-Allow-Headers', 'content-type'); res.sendStatus(204); return; }
      next();
    };
    // APP ×2 actual + APP preflight are tailored to the origin; EVIL's preflight still learns the methods.
    expect((await run([noVary])).counts).toEqual({ missing_vary_origin: 3, rejected_preflight_reveals_policy: 1 });
  });

  test('"*" with credentials', async () => {
    const starCreds: RequestHandler = (_req, res, next) => { res.setHeader('Access-Control-Allow-Origin', '*'); res.setHeader('Access-Control-Allow-Credentials', 'true'); next(); };
    expect((await run([starCreds])).counts).toEqual({ wildcard_with_credentials: 8 });
  });

  test('cors with an allowlist still reveals its policy to rejected preflights', async () => {
    expect((await run([cors({ origin: [APP], credentials: true })])).counts).toEqual({ rejected_preflight_reveals_policy: 1 });
  });

  test('correct apps produce no finding', async () => {
    expect((await run([correctByHand])).counts).toEqual({});
    expect((await run([corsSentinel({ origins: [APP], credentials: true, logger: false, metrics: false })])).counts).toEqual({});
    expect((await run([cors({ origin: '*' })])).counts).toEqual({});
  });

  test('finding lines are rate-limited like violations', async () => {
    const registry = new Registry();
    const log = memoryLogger();
    const observer = corsObserver({ metrics: { registry }, logger: log.logger, logging: { maxPerInterval: 2 } });
    const app = express();
    app.use(observer, (_req, res) => { res.setHeader('Access-Control-Allow-Origin', '*'); res.setHeader('Access-Control-Allow-Credentials', 'true'); res.send('x'); });
    const server = await listen(app);
    for (let i = 0; i < 5; i++) await send(server.port, { headers: { Origin: `https://x${i}.example.net` } });
    await server.close();
    observer.close();
    expect(await findingCounts(registry)).toEqual({ wildcard_with_credentials: 5 });
    expect(log.lines.filter((l) => l.message === 'cors finding')).toHaveLength(2);
    expect(log.lines.find((l) => l.message === 'cors log lines suppressed')).toMatchObject({ finding: 'wildcard_with_credentials', suppressed: 3 });
  });
});
