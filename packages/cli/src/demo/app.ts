/** The demo API: a few routes behind cors-sentinel, with /metrics and a health check. */
import express from 'express';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { corsSentinel, type CorsSentinelMiddleware } from 'cors-sentinel/internal/adapters/express';
import type { MetricsAuth } from 'cors-sentinel/internal/metrics/handler';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';
import { demoCandidatePolicy, demoPolicy } from './policy';

export interface DemoAppOptions {
  readonly registry?: Registry;
  readonly logger?: winston.Logger | false;
  /** Replaces the embedded policy. */
  readonly policy?: CorsSentinelOptions;
  /** Protects /metrics. */
  readonly metricsAuth?: MetricsAuth;
  /** Do not serve /metrics on the API (it is served on a separate port instead). */
  readonly metricsOnApi?: boolean;
}

export interface DemoApp {
  readonly app: express.Express;
  readonly cors: CorsSentinelMiddleware;
}

export function createDemoApp(options: DemoAppOptions = {}): DemoApp {
  const policy = options.policy ?? demoPolicy();
  const cors = corsSentinel({
    // A stricter candidate, reported but not enforced: no tenant wildcard, plus a partner.
    reportOnly: options.policy ? undefined : demoCandidatePolicy(),
    ...policy,
    metrics: { ...(policy.metrics || {}), registry: options.registry },
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  const app = express();
  app.disable('x-powered-by');
  // Metrics first: scrapers are not browsers and need no CORS (the only route the mount check expects ahead).
  if (options.metricsOnApi !== false) app.get('/metrics', cors.metricsHandler(options.metricsAuth ? { auth: options.metricsAuth } : {}));
  // A legacy route whose old CORS code still runs first: cors-sentinel reports the stacked layer.
  app.use('/legacy', (_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  app.use(cors);
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use((req, res, next) => {
    res.setHeader('X-Request-Id', String(req.headers['x-request-id'] ?? Math.random().toString(36).slice(2, 10)));
    next();
  });

  app.get('/public/status', (_req, res) => {
    res.json({ status: 'ok', version: 'demo' });
  });
  app.get('/api/account/me', (req, res) => {
    if (!req.headers.cookie?.includes('session=')) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json({ user: 'demo-user' });
  });
  app.get('/api/products', (_req, res) => {
    res.json([{ id: 1, name: 'Widget' }, { id: 2, name: 'Gadget' }]);
  });
  app.put('/api/orders/:id', express.json(), (req, res) => {
    res.json({ id: req.params.id, saved: true });
  });
  app.get('/api/orders', (_req, res) => {
    res.json([]);
  });
  app.get('/legacy/feed', (_req, res) => {
    res.json({ items: [] });
  });
  app.get('/api/tenants/settings', (_req, res) => {
    res.json({ theme: 'dark' });
  });
  return { app, cors };
}
