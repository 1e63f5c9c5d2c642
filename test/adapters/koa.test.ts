/** The Koa 3 middleware in a real Koa app over real sockets. */
import Koa from 'koa';
import { koaCorsSentinel } from '../../src/adapters/koa';
import { listen, send } from '../support/exchange';

const APP = 'https://app.example.com';

describe('koaCorsSentinel', () => {
  it('answers preflights before later middleware, and keeps a handler\'s own Vary', async () => {
    const cors = koaCorsSentinel({ origins: [APP], credentials: true, logger: false });
    const app = new Koa();
    const seen: string[] = [];
    app.use(cors);
    app.use(async (ctx) => {
      seen.push(`${ctx.method} ${ctx.path}`);
      ctx.vary('Accept-Encoding');
      ctx.body = { ok: true };
    });
    const server = await listen(app.callback());
    try {
      const pre = await send(server.port, { method: 'OPTIONS', path: '/items', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } });
      expect([pre.status, pre.headers['access-control-allow-origin'], pre.body]).toEqual([204, APP, '']);
      const actual = await send(server.port, { path: '/items', headers: { Origin: APP } });
      expect([actual.status, actual.headers['access-control-allow-credentials'], actual.headers.vary]).toEqual([200, 'true', 'Origin, Accept-Encoding']);
      const refused = await send(server.port, { method: 'OPTIONS', path: '/items', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' } });
      expect([refused.status, refused.headers['access-control-allow-origin']]).toEqual([403, undefined]);
      expect(seen).toEqual(['GET /items']);
    } finally {
      cors.close();
      await server.close();
    }
  });

  it('passes the Koa Context to origin resolvers', async () => {
    let handle: unknown;
    const cors = koaCorsSentinel({ origins: [APP], resolveOrigin: (origin, ctx: Koa.Context) => { handle = ctx; return origin === 'https://acme.example' && ctx.get('x-tenant') === 'acme'; }, logger: false });
    const app = new Koa();
    app.use(cors);
    app.use(async (ctx) => { ctx.body = 'ok'; });
    const server = await listen(app.callback());
    try {
      const res = await send(server.port, { path: '/', headers: { Origin: 'https://acme.example', 'X-Tenant': 'acme' } });
      expect(res.headers['access-control-allow-origin']).toBe('https://acme.example');
      expect(typeof (handle as Koa.Context).throw).toBe('function');
    } finally {
      cors.close();
      await server.close();
    }
  });
});
