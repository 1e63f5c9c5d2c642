/** Observer mode on Fastify (auditing @fastify/cors) and Koa (auditing a hand-written layer), over real sockets. */
import type { AddressInfo } from 'node:net';
import fastifyCors from '@fastify/cors';
import Fastify from 'fastify';
import Koa from 'koa';
import { fastifyCorsObserver } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsObserver } from '../../packages/cors-sentinel/src/adapters/koa';
import { findingCounts, listen, send, series } from '../support/exchange';

const EVIL = 'https://evil.example';

describe('observer mode on other frameworks', () => {
  it('Fastify: audits @fastify/cors without changing its answer', async () => {
    const app = Fastify();
    await app.register(fastifyCorsObserver, { expectedOrigins: ['https://app.example.com'], logger: false });
    await app.register(fastifyCors, { origin: true, credentials: true });
    app.get('/me', async () => 'me');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await send((app.server.address() as AddressInfo).port, { path: '/me', headers: { Origin: EVIL, Cookie: 's=1' } });
      expect([res.body, res.headers['access-control-allow-origin']]).toEqual(['me', EVIL]);
      expect(await findingCounts(app.corsObserver.registry!)).toEqual({ reflected_origin_with_credentials: 1 });
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('Koa: audits a hand-written layer, preflights included', async () => {
    const observer = koaCorsObserver({ logger: false });
    const app = new Koa();
    app.use(observer);
    app.use(async (ctx, next) => {
      ctx.set('Access-Control-Allow-Origin', 'https://app.example.com'); // no Vary: Origin
      if (ctx.method === 'OPTIONS') { ctx.status = 204; return; }
      await next();
    });
    app.use(async (ctx) => { ctx.body = 'ok'; });
    const server = await listen(app.callback());
    try {
      await send(server.port, { path: '/x', headers: { Origin: 'https://app.example.com' } });
      await send(server.port, { method: 'OPTIONS', path: '/x', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' } });
      expect(await findingCounts(observer.registry!)).toEqual({ missing_vary_origin: 1, rejected_preflight_reveals_policy: 1 });
      expect(Object.keys(await series(observer.registry!, 'cors_requests_total')).sort()).toEqual([
        'cors_requests_total{origin=https://app.example.com,outcome=allowed,request_type=actual,route=default}',
        'cors_requests_total{origin=https://evil.example,outcome=rejected,request_type=preflight,route=default}',
      ].sort());
    } finally {
      observer.close();
      await server.close();
    }
  });
});
