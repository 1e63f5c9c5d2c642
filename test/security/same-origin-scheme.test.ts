/**
 * The same-origin shortcut (issue 34, item 1) over real sockets: an Origin whose host equals `Host` is
 * the API's own page only if it is http(s) and its scheme is the request's. A custom-scheme app
 * (`capacitor://localhost` against `Host: localhost`) and an http page calling the https API are
 * cross-origin callers: the policy's grant must reach their actual requests, not only their preflights.
 * Where the scheme is unknown (a plain socket, perhaps behind a TLS proxy) a grant is never withheld.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import type { RequestListener } from 'node:http';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, send, type Reply } from '../support/http';
import { describeIfCommand } from '../support/processes';
import { metricSum } from '../support/sentinel';

function appWith(options: CorsSentinelOptions): { app: express.Express; registry: Registry } {
  const registry = new Registry();
  const app = express();
  app.use(corsSentinel({ logger: false, metrics: { registry }, ...options }));
  app.all('/{*path}', (_req, res) => void res.json({ handled: true }));
  return { app, registry };
}

describe('plain sockets: the scheme is unknown, so a grant is never withheld', () => {
  test('capacitor://localhost calling Host: localhost gets CORS headers on the preflight and on the actual PUT', async () => {
    const { app, registry } = appWith({ origins: ['capacitor://localhost'], credentials: true });
    const server = await listen(app);
    try {
      const headers = { Host: 'localhost', Origin: 'capacitor://localhost' };
      const pre = await send(server.port, '/items/1', { ...headers, 'Access-Control-Request-Method': 'PUT' }, 'OPTIONS');
      expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, 'capacitor://localhost']);
      const put = await send(server.port, '/items/1', { ...headers, Cookie: 's=1' }, 'PUT');
      expect(put.status).toBe(200);
      expect([put.headers['access-control-allow-origin'], put.headers['access-control-allow-credentials']]).toEqual(['capacitor://localhost', 'true']);
      expect(await metricSum(registry, 'cors_requests_total', { request_type: 'actual', outcome: 'allowed' })).toBe(1);
    } finally {
      await server.close();
    }
  });

  test('a listed https origin with the same host (the API behind a TLS proxy) is granted on actual requests', async () => {
    const { app } = appWith({ origins: ['https://api.example.com'] });
    const server = await listen(app);
    try {
      const res = await send(server.port, '/x', { Host: 'api.example.com', Origin: 'https://api.example.com' }, 'POST');
      expect(res.headers['access-control-allow-origin']).toBe('https://api.example.com');
    } finally {
      await server.close();
    }
  });

  test("the API's own unlisted page still passes as non-CORS, even with rejectActualRequests", async () => {
    const { app, registry } = appWith({ origins: ['https://app.example.com'], rejectActualRequests: true });
    const server = await listen(app);
    try {
      const own = await send(server.port, '/x', { Host: 'api.example.com', Origin: 'http://api.example.com' }, 'POST');
      expect([own.status, own.headers['access-control-allow-origin']]).toEqual([200, undefined]);
      expect(await metricSum(registry, 'cors_non_cors_requests_total')).toBe(1);
      expect(await metricSum(registry, 'cors_requests_total', { outcome: 'rejected' })).toBe(0);
      // A custom scheme with the same host is not the API's page: judged, and refused.
      const app2 = await send(server.port, '/x', { Host: 'localhost', Origin: 'capacitor://localhost' }, 'POST');
      expect([app2.status, app2.headers['access-control-allow-origin']]).toEqual([403, undefined]);
      expect(await metricSum(registry, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(1);
    } finally {
      await server.close();
    }
  });
});

/**
 * Behind a TLS-terminating proxy the socket is plain: the scheme is known only where the framework's own
 * trust setting admits the proxy's X-Forwarded-Proto (Express `trust proxy`, Fastify `trustProxy`, Koa
 * `app.proxy`). The API is then `https://example.com`; the proxy connects from 127.0.0.1.
 */
describe('behind a proxy the framework trusts: X-Forwarded-Proto tells the scheme', () => {
  const STRICT: CorsSentinelOptions = { origins: ['https://app.example.com'], rejectActualRequests: true, logger: false };
  const VIA_PROXY = { Host: 'example.com', 'X-Forwarded-Proto': 'https' };

  /** An unlisted http page on the API's host is judged (403); the https page is the API's own (200, no CORS). */
  async function refusesDowngradedPage(port: number): Promise<void> {
    const downgraded = await send(port, '/x', { ...VIA_PROXY, Origin: 'http://example.com' }, 'POST');
    expect([downgraded.status, downgraded.headers['access-control-allow-origin']]).toEqual([403, undefined]);
    const own = await send(port, '/x', { ...VIA_PROXY, Origin: 'https://example.com' }, 'POST');
    expect([own.status, own.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  }

  test("Express with trust proxy: an unlisted http page is a cross-origin caller, a listed one is granted", async () => {
    const strict = appWith(STRICT);
    strict.app.set('trust proxy', 'loopback');
    const server = await listen(strict.app);
    try {
      await refusesDowngradedPage(server.port);
      expect(await metricSum(strict.registry, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(1);
    } finally {
      await server.close();
    }
    const listed = appWith({ origins: ['http://example.com'] });
    listed.app.set('trust proxy', 'loopback');
    const server2 = await listen(listed.app);
    try {
      const put = await send(server2.port, '/items/1', { ...VIA_PROXY, Origin: 'http://example.com' }, 'PUT');
      expect(put.headers['access-control-allow-origin']).toBe('http://example.com');
    } finally {
      await server2.close();
    }
  });

  test('Express without trust proxy, or trusting another address: X-Forwarded-Proto is ignored (scheme unknown)', async () => {
    for (const trust of [false, '10.0.0.1']) {
      const { app, registry } = appWith(STRICT);
      app.set('trust proxy', trust);
      const server = await listen(app);
      try {
        // A forged X-Forwarded-Proto changes nothing: the same-host page stays "not CORS", as on any plain socket.
        const res = await send(server.port, '/x', { ...VIA_PROXY, Origin: 'http://example.com' }, 'POST');
        expect([res.status, res.headers['access-control-allow-origin']]).toEqual([200, undefined]);
        expect(await metricSum(registry, 'cors_violations_total')).toBe(0);
      } finally {
        await server.close();
      }
    }
  });

  test('Fastify with trustProxy', async () => {
    const app = Fastify({ trustProxy: '127.0.0.1' });
    await app.register(fastifyCorsSentinel, STRICT);
    app.all('/x', async () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await refusesDowngradedPage((app.server.address() as AddressInfo).port);
    } finally {
      await app.close();
    }
  });

  test('Koa with app.proxy', async () => {
    const app = new Koa({ proxy: true });
    app.use(koaCorsSentinel(STRICT));
    app.use((ctx) => void (ctx.body = 'app'));
    const server = await listen(app.callback());
    try {
      await refusesDowngradedPage(server.port);
    } finally {
      await server.close();
    }
  });
});

describeIfCommand('openssl')('TLS sockets: the scheme is https for certain', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'same-origin-tls-'));
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=example.com']);
    expect(gen.status).toBe(0);
    tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  type Ask = (headers: Record<string, string>, method?: string) => Promise<Reply>;

  function askOver(port: number): Ask {
    return (headers, method = 'GET') =>
      new Promise((resolve, reject) => {
        const r = httpsRequest({ host: '127.0.0.1', port, path: '/x', method, headers, rejectUnauthorized: false, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        r.on('error', reject);
        r.end();
      });
  }

  /** A node:https server on port 0 around `listener`, for the test's duration. */
  async function overTls(listener: RequestListener, run: (ask: Ask) => Promise<void>): Promise<void> {
    const server = createHttpsServer(tls, listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(askOver((server.address() as AddressInfo).port));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async function withTlsApp(options: CorsSentinelOptions, run: (ask: Ask, registry: Registry) => Promise<void>): Promise<void> {
    const { app, registry } = appWith(options);
    await overTls(app, (ask) => run(ask, registry));
  }

  /** An unlisted http page with the API's host is refused (403) only where the adapter saw the TLS socket. */
  async function refusesDowngradedPage(ask: Ask): Promise<void> {
    const downgraded = await ask({ Host: 'example.com', Origin: 'http://example.com' }, 'POST');
    expect([downgraded.status, downgraded.headers['access-control-allow-origin']]).toEqual([403, undefined]);
    const own = await ask({ Host: 'example.com', Origin: 'https://example.com' }, 'POST');
    expect([own.status, own.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  }
  const STRICT: CorsSentinelOptions = { origins: ['https://app.example.com'], rejectActualRequests: true, logger: false };

  test('a listed http://example.com calling https://example.com gets CORS headers on its actual request', async () => {
    await withTlsApp({ origins: ['http://example.com'] }, async (ask, registry) => {
      const res = await ask({ Host: 'example.com', Origin: 'http://example.com' }, 'PUT');
      expect(res.headers['access-control-allow-origin']).toBe('http://example.com');
      expect(await metricSum(registry, 'cors_requests_total', { request_type: 'actual', outcome: 'allowed' })).toBe(1);
    });
  });

  test('the https page of the API itself is not CORS even when listed: browsers do not check same-origin responses', async () => {
    await withTlsApp({ origins: ['https://example.com'], credentials: true }, async (ask, registry) => {
      const res = await ask({ Host: 'example.com', Origin: 'https://example.com', Cookie: 's=1' }, 'PUT');
      expect([res.status, res.headers['access-control-allow-origin']]).toEqual([200, undefined]);
      expect(await metricSum(registry, 'cors_non_cors_requests_total')).toBe(1);
    });
  });

  test('an unlisted http page on the same host is a cross-origin caller (refused), the https page is the API itself', async () => {
    await withTlsApp(STRICT, async (ask, registry) => {
      await refusesDowngradedPage(ask);
      expect(await metricSum(registry, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(1);
      expect(await metricSum(registry, 'cors_non_cors_requests_total')).toBe(1);
    });
  });

  test('Fastify over TLS: the adapter passes the scheme on', async () => {
    const app = Fastify({ https: tls });
    await app.register(fastifyCorsSentinel, STRICT);
    app.all('/x', async () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await refusesDowngradedPage(askOver((app.server.address() as AddressInfo).port));
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  test('Koa over TLS: the adapter passes the scheme on', async () => {
    const app = new Koa();
    app.use(koaCorsSentinel(STRICT));
    app.use((ctx) => void (ctx.body = 'app'));
    await overTls(app.callback(), refusesDowngradedPage);
  });
});
