/**
 * `metrics: { meterProvider }` on every library entry, over real sockets: the decision reaches the OTel
 * exporter's exposition, and the observer's response findings do too.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsSentinel, koaCorsObserver } from '../../packages/cors-sentinel/src/adapters/koa';
import { listen, send, type Running } from '../support/exchange';
import { otelPipeline, seriesOf, type OtelPipeline } from './pipeline';

const APP = 'https://app.example.com';
const allowed = `cors_requests_total{origin="${APP}",outcome="allowed",request_type="actual",route="default"}`;

let otel: OtelPipeline;
beforeEach(() => (otel = otelPipeline()));
afterEach(() => otel.shutdown());

async function through(running: Running, path = '/x'): Promise<Map<string, number>> {
  try {
    await send(running.port, { path, headers: { Origin: APP } });
    return seriesOf(await otel.scrape());
  } finally {
    await running.close();
  }
}

describe('metrics.meterProvider on every entry', () => {
  it('Express middleware', async () => {
    const app = express();
    const cors = corsSentinel({ origins: [APP], logger: false, metrics: { meterProvider: otel.provider } });
    app.use(cors);
    app.get('/x', (_req, res) => void res.send('ok'));
    expect((await through(await listen(app))).get(allowed)).toBe(1);
    cors.close();
  });

  it('Express observer: findings of the layer it audits', async () => {
    const app = express();
    const observer = corsObserver({ expectedOrigins: [APP], logger: false, metrics: { meterProvider: otel.provider } });
    app.use(observer);
    app.get('/x', (_req, res) => void res.set('Access-Control-Allow-Origin', '*').set('Access-Control-Allow-Credentials', 'true').send('ok'));
    const series = await through(await listen(app));
    expect([...series.keys()].some((id) => id.startsWith('cors_response_findings_total{'))).toBe(true);
    expect([...series.keys()].some((id) => id.startsWith('cors_config_info{') && id.includes('origin_policy="observed"'))).toBe(true);
    observer.close();
  });

  it('Fastify plugin', async () => {
    const app = Fastify();
    await app.register(fastifyCorsSentinel, { origins: [APP], logger: false, metrics: { meterProvider: otel.provider } });
    app.get('/x', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await send((app.server.address() as AddressInfo).port, { path: '/x', headers: { Origin: APP } });
      expect(seriesOf(await otel.scrape()).get(allowed)).toBe(1);
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('Koa middleware and observer', async () => {
    const cors = koaCorsSentinel({ origins: [APP], logger: false, metrics: { meterProvider: otel.provider } });
    const app = new Koa();
    app.use(cors);
    app.use((ctx) => void (ctx.body = 'ok'));
    expect((await through(await listen(app.callback()))).get(allowed)).toBe(1);
    cors.close();

    const observed = new Koa();
    const observer = koaCorsObserver({ expectedOrigins: [APP], logger: false, metrics: { meterProvider: otel.provider, prefix: 'observed_' } });
    observed.use(observer);
    observed.use((ctx) => void ((ctx.body = 'ok'), ctx.set('Access-Control-Allow-Origin', APP)));
    const series = await through(await listen(observed.callback()));
    expect(series.get(allowed.replace('cors_', 'observed_'))).toBe(1);
    observer.close();
  });
});
