/** The Koa 3 middleware in a real Koa app over real sockets. */
import Koa from 'koa';
import { Registry } from 'prom-client';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { listen, send, type Exchange } from '../support/exchange';
import { metricSum } from '../support/sentinel';

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

  describe('an error thrown after the middleware (Koa\'s ctx.onerror removes every header)', () => {
    const EVIL = 'https://evil.example';
    const TENANT = 'https://tenant.example';
    /** What the browser needs to read an error: the CORS headers. */
    const cors = (x: Exchange) => ({
      status: x.status, body: x.body, acao: x.headers['access-control-allow-origin'], acac: x.headers['access-control-allow-credentials'],
      expose: x.headers['access-control-expose-headers'], vary: x.headers.vary,
    });
    const SHARED = { 'WWW-Authenticate': 'Bearer' };
    const REUSED = Object.assign(new Error('gone'), { status: 410, expose: true });

    async function start(routes: Record<string, (ctx: Koa.Context) => void>) {
      const registry = new Registry();
      const mw = koaCorsSentinel({ origins: [APP], credentials: true, exposedHeaders: ['x-request-id'], resolveOrigin: async (o) => o === TENANT, logger: false, metrics: { registry } });
      const app = new Koa();
      const errors: unknown[] = [];
      app.on('error', (err) => errors.push(err));
      app.use(mw);
      app.use(async (ctx) => { routes[ctx.path]?.(ctx); ctx.body = 'ok'; });
      const server = await listen(app.callback());
      const findings = () => metricSum(registry, 'cors_response_findings_total', { finding: 'acao_already_set' });
      return { port: server.port, errors, findings, close: async () => { mw.close(); await server.close(); } };
    }

    it('keeps the decision\'s headers on an allowed origin\'s error, and leaves the error as thrown', async () => {
      const thrown = Object.assign(new Error('bad input'), { status: 400, expose: true, headers: { 'WWW-Authenticate': 'Bearer', vary: 'Accept' } });
      const app = await start({
        '/boom': () => { throw new Error('secret detail'); },
        '/bad': () => { throw thrown; },
        '/missing': (ctx) => ctx.throw(404),
        '/string': () => { throw 'x'; }, // eslint-disable-line no-throw-literal
      });
      try {
        const granted = { acao: APP, acac: 'true', expose: 'x-request-id' };
        expect(cors(await send(app.port, { path: '/boom', headers: { Origin: APP } }))).toEqual({ status: 500, body: 'Internal Server Error', ...granted, vary: 'Origin' });
        expect(cors(await send(app.port, { path: '/missing', headers: { Origin: APP } }))).toEqual({ status: 404, body: 'Not Found', ...granted, vary: 'Origin' });
        // After an origin lookup too (the decision arrives asynchronously).
        expect(cors(await send(app.port, { path: '/boom', headers: { Origin: TENANT } }))).toMatchObject({ status: 500, acao: TENANT, acac: 'true' });
        // The application's own error headers stay; its Vary and ours are merged; status, expose and message are Koa's as usual.
        const bad = await send(app.port, { path: '/bad', headers: { Origin: APP } });
        expect(cors(bad)).toEqual({ status: 400, body: 'bad input', ...granted, vary: 'Accept, Origin' });
        expect(bad.headers['www-authenticate']).toBe('Bearer');
        expect(app.errors).toContain(thrown);
        expect(thrown.status).toBe(400);
        // A thrown non-object cannot carry headers: Koa's plain 500, no crash, the server goes on.
        expect(cors(await send(app.port, { path: '/string', headers: { Origin: APP } }))).toMatchObject({ status: 500, body: 'Internal Server Error', acao: undefined });
        expect((await send(app.port, { path: '/', headers: { Origin: APP } })).headers['access-control-allow-origin']).toBe(APP);
        expect(await app.findings()).toBe(0);
      } finally {
        await app.close();
      }
    });

    it('gives a rejected origin\'s error no CORS headers, never copying what the response held', async () => {
      const app = await start({
        // App code that reflects the Origin before failing: Koa removes it, and the error path must not bring it back.
        '/reflect-then-throw': (ctx) => { ctx.set('Access-Control-Allow-Origin', ctx.get('Origin')); ctx.set('Access-Control-Allow-Credentials', 'true'); throw new Error('boom'); },
      });
      try {
        for (const origin of [EVIL, 'https://app.example.com.evil.net', 'null']) {
          const res = await send(app.port, { path: '/reflect-then-throw', headers: { Origin: origin, Cookie: 's=1' } });
          expect([origin, cors(res)]).toEqual([origin, { status: 500, body: 'Internal Server Error', acao: undefined, acac: undefined, expose: undefined, vary: 'Origin' }]);
        }
        expect((await send(app.port, { path: '/reflect-then-throw', headers: { Origin: APP } })).headers['access-control-allow-origin']).toBe(APP);
      } finally {
        await app.close();
      }
    });

    it('wins over an Access-Control-Allow-Origin the application put on the error, adds none for a rejected origin, and reports both', async () => {
      const app = await start({
        '/star': () => { throw Object.assign(new Error('no'), { status: 401, headers: { 'access-control-allow-origin': '*' } }); },
        '/reflect': (ctx) => { throw Object.assign(new Error('no'), { status: 401, headers: { 'Access-Control-Allow-Origin': ctx.get('Origin') } }); },
      });
      try {
        const star = await send(app.port, { path: '/star', headers: { Origin: APP } });
        expect([star.status, star.fields.filter(([n]) => n === 'access-control-allow-origin')]).toEqual([401, [['access-control-allow-origin', APP]]]);
        // The application's own reflection is its CORS layer, not ours: left as it is, and made visible.
        const reflected = await send(app.port, { path: '/reflect', headers: { Origin: EVIL } });
        expect(cors(reflected)).toMatchObject({ status: 401, acao: EVIL, acac: undefined, expose: undefined, vary: 'Origin' });
        expect(await app.findings()).toBe(2);
      } finally {
        await app.close();
      }
    });

    it('never changes a shared headers object, nor lets a reused error carry one request\'s grant to another', async () => {
      const app = await start({
        '/shared': (ctx) => ctx.throw(401, { headers: SHARED }),
        '/reused': () => { throw REUSED; },
      });
      try {
        expect(cors(await send(app.port, { path: '/shared', headers: { Origin: APP } }))).toMatchObject({ status: 401, acao: APP });
        expect(SHARED).toEqual({ 'WWW-Authenticate': 'Bearer' });
        expect(cors(await send(app.port, { path: '/reused', headers: { Origin: APP } }))).toMatchObject({ status: 410, body: 'gone', acao: APP, acac: 'true' });
        expect(cors(await send(app.port, { path: '/reused', headers: { Origin: EVIL } }))).toEqual({ status: 410, body: 'gone', acao: undefined, acac: undefined, expose: undefined, vary: 'Origin' });
        expect(await app.findings()).toBe(0);
      } finally {
        await app.close();
      }
    });
  });
});
