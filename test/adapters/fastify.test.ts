/** The Fastify 5 plugin in real Fastify apps: preflights in onRequest, Fastify's 404 and OPTIONS, encapsulation. */
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { send, type Exchange } from '../support/exchange';

// Over real sockets: Fastify's inject() needs light-my-request's ESM-only cookie@2, which Jest on Node 20 cannot load.

const APP = 'https://app.example.com';
const preflight = { Origin: APP, 'Access-Control-Request-Method': 'PUT' };

/** Every app a test started, closed after it even when an assertion failed (else Jest never exits). */
const running: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map(close));
});

async function build(register: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify();
  running.push(app);
  await register(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

function inject(app: FastifyInstance, r: { method?: string; url: string; headers?: Record<string, string> }): Promise<Exchange & { statusCode: number }> {
  const port = (app.server.address() as import('node:net').AddressInfo).port;
  return send(port, { method: r.method, path: r.url, headers: r.headers }).then((x) => ({ ...x, statusCode: x.status }));
}

async function close(app: FastifyInstance): Promise<void> {
  if (app.server.listening) app.server.closeAllConnections();
  await app.close();
}

describe('fastifyCorsSentinel', () => {
  it('answers preflights before auth hooks and routes, also where Fastify would answer 404', async () => {
    const app = await build(async (a) => {
      await a.register(fastifyCorsSentinel, { origins: [APP], logger: false });
      a.addHook('onRequest', async (request, reply) => { if (!request.headers.authorization) await reply.code(401).send('auth'); });
      a.put('/items/:id', async () => 'put');
    });
    for (const url of ['/items/1', '/no/such/route']) {
      const res = await inject(app, { method: 'OPTIONS', url, headers: preflight });
      expect([url, res.statusCode, res.headers['access-control-allow-origin'], res.body]).toEqual([url, 204, APP, '']);
    }
    const refused = await inject(app, { method: 'OPTIONS', url: '/items/1', headers: { ...preflight, Origin: 'https://evil.example' } });
    expect([refused.statusCode, refused.headers['access-control-allow-origin'], refused.headers.vary]).toEqual([403, undefined, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network']);
    // A plain OPTIONS is the app's: Fastify's own 404 answers it.
    expect((await inject(app, { method: 'OPTIONS', url: '/items/1', headers: { Origin: APP, Authorization: 'x' } })).statusCode).toBe(404);
  });

  it("appends to a route's own Vary instead of losing either", async () => {
    const app = await build(async (a) => {
      await a.register(fastifyCorsSentinel, { origins: [APP], logger: false });
      a.get('/v', async (_request, reply) => { reply.header('Vary', 'Accept-Encoding'); return 'v'; });
    });
    const res = await inject(app, { method: 'GET', url: '/v', headers: { Origin: APP } });
    expect([res.headers.vary, res.headers['access-control-allow-origin']]).toEqual(['Accept-Encoding, Origin', APP]);
  });

  it("keeps the decision's headers on Fastify's error responses, after an origin lookup too; an error's own headers are set after ours", async () => {
    const app = await build(async (a) => {
      await a.register(fastifyCorsSentinel, { origins: [APP], resolveOrigin: async (o) => o === 'https://tenant.example', credentials: true, logger: false });
      a.get('/boom', async (request, reply) => {
        reply.header('Vary', 'Accept');
        // App code that puts a CORS header on its error: Fastify's default error handler sets error.headers after ours (docs/adapters.md).
        const appAcao = request.headers['x-app-acao'];
        throw Object.assign(new Error('no'), { statusCode: 403, headers: appAcao ? { 'access-control-allow-origin': appAcao } : {} });
      });
      a.get('/crash', async () => { throw new Error('crash'); });
    });
    for (const origin of [APP, 'https://tenant.example']) {
      const res = await inject(app, { url: '/boom', headers: { Origin: origin } });
      expect([res.statusCode, res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials'], res.headers.vary]).toEqual([403, origin, 'true', 'Accept, Origin']);
    }
    const crash = await inject(app, { url: '/crash', headers: { Origin: APP } });
    expect([crash.statusCode, crash.headers['access-control-allow-origin'], crash.headers.vary]).toEqual([500, APP, 'Origin']);
    const rejected = await inject(app, { url: '/boom', headers: { Origin: 'https://evil.example' } });
    expect([rejected.statusCode, rejected.headers['access-control-allow-origin'], rejected.headers.vary]).toEqual([403, undefined, 'Accept, Origin']);
    const appHeader = await inject(app, { url: '/boom', headers: { Origin: APP, 'X-App-Acao': '*' } });
    expect([appHeader.headers['access-control-allow-origin'], appHeader.headers['access-control-allow-credentials']]).toEqual(['*', 'true']);
  });

  it('stays inside the context it is registered in (encapsulation)', async () => {
    const app = await build(async (a) => {
      await a.register(async (api) => {
        await api.register(fastifyCorsSentinel, { origins: [APP], logger: false });
        api.get('/x', async () => 'api');
      }, { prefix: '/api' });
      a.get('/other', async () => 'other');
    });
    expect((await inject(app, { url: '/api/x', headers: { Origin: APP } })).headers['access-control-allow-origin']).toBe(APP);
    expect((await inject(app, { url: '/other', headers: { Origin: APP } })).headers['access-control-allow-origin']).toBeUndefined();
    expect(app.hasDecorator('corsSentinel')).toBe(false);
  });

  it('fails registration with every configuration problem', async () => {
    const app = Fastify();
    let err: unknown;
    try {
      await app.register(fastifyCorsSentinel, { origins: ['*'], credentials: true, methods: ['TRACE'], logger: false });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorsConfigError);
    expect((err as CorsConfigError).problems.map((p) => p.code).sort()).toEqual(['credentials_with_any_origin', 'forbidden_method']);
  });
});
