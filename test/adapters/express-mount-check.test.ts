/**
 * `app.use('/api', router); app.use(cors)` used to fail silently: no CORS headers, Express answering
 * preflights itself, and a /metrics without traffic that looked healthy. Over real sockets, in real
 * Express 4 and 5 apps, the mistake now shows in the log, in `cors_routes_before_middleware` and in
 * `cors_undecided_requests_total`; the right order stays silent.
 */
import express5 from 'express';
import type { RequestListener } from 'node:http';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { listen, memoryLogger, send, type Running } from '../support/exchange';
import { metricSum } from '../support/sentinel';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

const ORIGIN = 'https://app.example.com';
const preflight = { method: 'OPTIONS', path: '/api/items', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PUT' } };
const cors = (registry: Registry, logger: ReturnType<typeof memoryLogger>['logger']) =>
  corsSentinel({ origins: [ORIGIN], metrics: { registry }, logger });
const mountWarnings = (lines: Record<string, unknown>[]): string[] =>
  lines.filter((l) => l.path === 'express' && typeof l.warning === 'string').map((l) => l.warning as string);

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('%s: middleware mounted after a router', (_name, express) => {
  let running: Running | undefined;
  afterEach(async () => running?.close());

  /** A fresh registry, a logger that keeps its lines, the middleware and an empty app. */
  function setup() {
    const registry = new Registry();
    const { logger, lines } = memoryLogger();
    return { registry, lines, mw: cors(registry, logger), app: express() };
  }

  function apiRouter() {
    const router = express.Router();
    router.get('/items', (_req, res) => void res.json([]));
    router.put('/items', (_req, res) => void res.json({ ok: true }));
    return router;
  }

  it('warns once, publishes the misplaced layers and counts the requests answered without a decision', async () => {
    const { registry, lines, mw, app } = setup();
    app.use('/api', apiRouter()); // the mistake
    app.use(mw);
    app.get('/metrics', mw.metricsHandler());
    app.get('/healthz', (_req, res) => void res.send('ok'));
    running = await listen(app as unknown as RequestListener);

    // The first scrape reaches the middleware and the metrics handler: both find the router ahead.
    expect((await send(running.port, { path: '/metrics' })).status).toBe(200);
    const warnings = mountWarnings(lines);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/mounted after 1 route\(s\) or router\(s\).*a router \(routes \/items\).*app\.use\(cors\) before/);
    expect(await metricSum(registry, 'cors_routes_before_middleware')).toBe(1);

    // The failure a browser sees: Express answers the preflight, no CORS headers anywhere.
    const pre = await send(running.port, preflight);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await send(running.port, { path: '/api/items', headers: { Origin: ORIGIN } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    // Same-origin and origin-less requests are not CORS: not counted.
    await send(running.port, { path: '/api/items', headers: { Origin: `http://127.0.0.1:${running.port}` } });
    await send(running.port, { path: '/api/items' });
    // A request the middleware did decide is not counted either.
    expect((await send(running.port, { path: '/healthz', headers: { Origin: ORIGIN } })).headers['access-control-allow-origin']).toBe(ORIGIN);

    expect(await metricSum(registry, 'cors_undecided_requests_total', { request_type: 'preflight' })).toBe(1);
    expect(await metricSum(registry, 'cors_undecided_requests_total', { request_type: 'actual' })).toBe(1);
    // More scrapes do not repeat the warning while nothing changed.
    await send(running.port, { path: '/metrics' });
    expect(mountWarnings(lines)).toHaveLength(1);
  });

  it('checks each app one middleware is mounted in: the second app\'s router ahead of it is found after the first app\'s requests', async () => {
    const { registry, lines, mw, app } = setup();
    app.use(mw); // right in the first app
    app.get('/api/items', (_req, res) => void res.json([]));
    const second = express();
    second.get('/admin/users', (_req, res) => void res.json([])); // the mistake, in the second app only
    second.use(mw);
    second.get('/admin/items', (_req, res) => void res.json([]));
    const one = await listen(app as unknown as RequestListener);
    const two = await listen(second as unknown as RequestListener);
    try {
      for (let i = 0; i < 3; i++) await send(one.port, { path: '/api/items', headers: { Origin: ORIGIN } });
      expect(mountWarnings(lines)).toHaveLength(0);
      expect((await send(two.port, { path: '/admin/items', headers: { Origin: ORIGIN } })).headers['access-control-allow-origin']).toBe(ORIGIN);
      const warnings = mountWarnings(lines);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/GET \/admin\/users/);
      await send(one.port, { path: '/api/items', headers: { Origin: ORIGIN } });
      await send(two.port, { path: '/admin/items', headers: { Origin: ORIGIN } });
      expect(mountWarnings(lines)).toHaveLength(1); // each app is looked at once
      expect(await metricSum(registry, 'cors_routes_before_middleware')).toBe(1);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('finds the mistake from the metrics handler alone, when the router answers every request', async () => {
    const { registry, lines, mw, app } = setup();
    app.get('/metrics', mw.metricsHandler()); // the metrics route ahead is expected, not a finding
    app.get('/status', (_req, res) => void res.send('ok'));
    app.use(express.Router().get('/', (_req, res) => void res.send('home')));
    app.use(mw);
    running = await listen(app as unknown as RequestListener);
    await send(running.port, { path: '/metrics' });
    expect(mountWarnings(lines)[0]).toMatch(/mounted after 2 .*GET \/status, a router \(routes \/\)/);
    expect(await metricSum(registry, 'cors_routes_before_middleware')).toBe(2);
  });

  it('stays silent when the middleware comes first, and decides as before', async () => {
    const { registry, lines, mw, app } = setup();
    app.use(express.json());
    app.get('/metrics', mw.metricsHandler());
    app.use(mw);
    app.use('/api', apiRouter());
    running = await listen(app as unknown as RequestListener);
    const pre = await send(running.port, preflight);
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    await send(running.port, { path: '/metrics' });
    expect(mountWarnings(lines)).toEqual([]);
    expect(await metricSum(registry, 'cors_routes_before_middleware')).toBe(0);
    expect(registry.getSingleMetric('cors_undecided_requests_total')).toBeDefined();
    expect(await metricSum(registry, 'cors_undecided_requests_total')).toBe(0);
  });

  it('a /metrics route serving the app\'s own registry ahead of the middleware is fine; other routes still count', async () => {
    const { registry, lines, mw, app } = setup();
    const own = new Registry();
    app.get('/metrics', async (_req, res) => void res.type('text/plain').send(await own.metrics())); // not cors-sentinel's handler
    app.post('/metrics', (_req, res) => void res.sendStatus(204)); // a browser could post here: it counts
    app.use(mw);
    app.use('/api', apiRouter());
    running = await listen(app as unknown as RequestListener);
    expect((await send(running.port, { path: '/metrics' })).status).toBe(200);
    expect((await send(running.port, preflight)).status).toBe(204);
    expect(mountWarnings(lines)).toHaveLength(1);
    expect(mountWarnings(lines)[0]).toMatch(/mounted after 1 route\(s\) or router\(s\) that answer without it: POST \/metrics\./);
    expect(await metricSum(registry, 'cors_routes_before_middleware')).toBe(1);
  });

  it('a GET /metrics route of its own ahead of the middleware alone: no warning, the gauge at 0', async () => {
    const { registry, lines, mw, app } = setup();
    app.get('/metrics', async (_req, res) => void res.type('text/plain').send(await registry.metrics()));
    app.use(mw);
    app.use('/api', apiRouter());
    running = await listen(app as unknown as RequestListener);
    expect((await send(running.port, preflight)).status).toBe(204);
    expect((await send(running.port, { path: '/metrics' })).body).toMatch(/^cors_routes_before_middleware 0$/m);
    expect(mountWarnings(lines)).toEqual([]);
  });

  it('inside a router, layers ahead of it in that router count too', async () => {
    const { registry, lines, mw, app } = setup();
    const api = express.Router();
    api.get('/early', (_req, res) => void res.send('early'));
    api.use(mw);
    app.use('/api', api);
    running = await listen(app as unknown as RequestListener);
    await send(running.port, { path: '/api/late', headers: { Origin: ORIGIN } });
    expect(mountWarnings(lines)[0]).toMatch(/GET \/early/);
  });

  it('the observer says the same when it is mounted after a router', async () => {
    const registry = new Registry();
    const { logger, lines } = memoryLogger();
    const observer = corsObserver({ metrics: { registry }, logger });
    const app = express();
    app.use('/api', apiRouter());
    app.use(observer);
    app.get('/metrics', observer.metricsHandler());
    running = await listen(app as unknown as RequestListener);
    await send(running.port, { path: '/metrics' });
    await send(running.port, { path: '/api/items', headers: { Origin: ORIGIN } });
    expect(mountWarnings(lines)).toHaveLength(1);
    expect(await metricSum(registry, 'cors_undecided_requests_total', { request_type: 'actual' })).toBe(1);
  });
});

describe('hostile or unusual apps never break a request', () => {
  it('an app whose router getter throws, or whose stack is not an array, is ignored', async () => {
    const registry = new Registry();
    const { logger, lines } = memoryLogger();
    const mw = cors(registry, logger);
    const weirdApps: unknown[] = [
      Object.defineProperty({}, 'router', { get: () => { throw new Error('deprecated'); } }),
      { router: { stack: 'not an array' } },
      { _router: { stack: [{ handle: null }, { route: {} }, null] } },
      null,
    ];
    let i = 0;
    const handler: RequestListener = (req, res) => {
      (req as { app?: unknown }).app = weirdApps[i++ % weirdApps.length];
      mw(req, res, () => void res.end('app'));
    };
    const running = await listen(handler);
    try {
      for (let n = 0; n < weirdApps.length; n++) {
        const r = await send(running.port, { path: '/', headers: { Origin: ORIGIN } });
        expect(r.status).toBe(200);
        expect(r.headers['access-control-allow-origin']).toBe(ORIGIN);
      }
      expect(mountWarnings(lines)).toEqual([]);
    } finally {
      await running.close();
    }
  });
});
