/** The middleware in real Express 5 and Express 4 apps over real sockets. */
import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import express5 from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { metricSum } from '../support/sentinel';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
])('%s', (_name, express) => {
  function build() {
    const registry = new Registry();
    const cors = corsSentinel({
      origins: ['https://app.example.com'],
      resolveOrigin: async (origin) => origin === 'https://tenant.example.org',
      credentials: true,
      maxAge: 300,
      logger: false,
      metrics: { registry },
    });
    const app = express();
    app.get('/metrics', cors.metricsHandler());
    app.use(cors);
    // An auth layer that would refuse preflights (they never carry credentials) if it saw them.
    app.use((req, res, next) => {
      if (!req.headers.authorization) return void res.status(401).json({ error: 'auth' });
      next();
    });
    app.put('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    return { app, cors, registry };
  }

  it('answers preflights before routes and auth run', async () => {
    const { app } = build();
    const res = await request(app).options('/items/1').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-max-age']).toBe('300');
  });

  it("writes every header through the response's own setHeader, a wrapper an earlier middleware installed too", async () => {
    const { cors } = build();
    const app = express();
    const seen: string[] = [];
    app.use((_req, res, next) => {
      const original = res.setHeader;
      res.setHeader = function (this: typeof res, name: string, value: number | string | readonly string[]) {
        seen.push(name.toLowerCase());
        return original.call(this, name, value);
      };
      next();
    });
    app.use(cors);
    const res = await request(app).options('/items/1').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(204);
    expect(seen).toEqual(expect.arrayContaining(['vary', 'access-control-allow-origin', 'access-control-allow-methods', 'access-control-max-age', 'content-length']));
    seen.length = 0;
    await request(app).get('/items/1').set('Origin', 'https://app.example.com');
    expect(seen).toEqual(expect.arrayContaining(['vary', 'access-control-allow-origin', 'access-control-allow-credentials']));
  });

  it("reads getHeader and end off the response when it carries its own, and off app.response's chain otherwise", async () => {
    const { cors } = build();
    const app = express();
    const calls: string[] = [];
    // An application-wide wrapper on the app's response prototype: every response reaches it through its chain.
    const appSetHeader = app.response.setHeader;
    app.response.setHeader = function (this: ServerResponse, name: string, value: number | string | readonly string[]) {
      calls.push(`app setHeader ${name.toLowerCase()}`);
      return appSetHeader.call(this, name, value);
    };
    app.use((_req, res, next) => {
      const [getHeader, end] = [res.getHeader, res.end];
      res.getHeader = function (this: typeof res, name: string) {
        calls.push(`getHeader ${name}`);
        return name.toLowerCase() === 'vary' ? 'Accept-Encoding' : getHeader.call(this, name); // as if a layer in front had set Vary
      };
      res.end = function (this: typeof res, ...args: unknown[]) {
        calls.push('end');
        return (end as (...a: unknown[]) => typeof res).apply(this, args);
      } as typeof res.end;
      next();
    });
    app.use(cors);
    const res = await request(app).options('/items/1').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(204);
    expect(calls).toEqual(expect.arrayContaining(['getHeader access-control-allow-origin', 'getHeader vary', 'app setHeader access-control-allow-origin', 'end']));
    expect(res.headers.vary).toMatch(/^Accept-Encoding, Origin/);
  });

  it('a response a layer in front already sent (and still called next): counted late, the app not run, nothing thrown', async () => {
    const { cors, registry } = build();
    const app = express();
    let ran = 0;
    app.use((_req, res, next) => {
      res.end('early');
      next();
    });
    app.use(cors);
    app.all('/items/1', (_req, res) => {
      ran++;
      res.end('late');
    });
    const get = await request(app).get('/items/1').set('Origin', 'https://app.example.com');
    const pre = await request(app).options('/items/1').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect([get.text, pre.text, ran]).toEqual(['early', 'early', 0]);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(await metricSum(registry, 'cors_response_findings_total', { finding: 'late_decision' })).toBe(2);
    expect(await metricSum(registry, 'cors_requests_total')).toBe(0);
  });

  it('sets headers on allowed actual requests and passes them on', async () => {
    const { app } = build();
    const res = await request(app).put('/items/7').set('Origin', 'https://app.example.com').set('Authorization', 'Bearer x');
    expect(res.body).toEqual({ id: '7' });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toBe('Origin');
  });

  it('resolves tenant origins asynchronously, and caches them', async () => {
    const { app, registry } = build();
    for (let i = 0; i < 3; i++) {
      const res = await request(app).put('/items/1').set('Origin', 'https://tenant.example.org').set('Authorization', 'x');
      expect(res.headers['access-control-allow-origin']).toBe('https://tenant.example.org');
    }
    expect(await metricSum(registry, 'cors_resolver_cache_total', { result: 'miss' })).toBe(1);
    expect(await metricSum(registry, 'cors_resolver_cache_total', { result: 'hit' })).toBe(2);
    expect(await metricSum(registry, 'cors_resolver_duration_seconds_count', { result: 'allowed' })).toBe(1);
  });

  it("keeps the decision's headers on finalhandler's error responses, after an origin lookup too; an err.headers is set after ours", async () => {
    const { app } = build();
    app.get('/boom', (req, _res, next) => {
      // App code that puts a CORS header on its error: finalhandler sets err.headers after ours (the framework's call, docs/adapters.md).
      next(Object.assign(new Error('no'), { status: 403, headers: req.headers['x-app-acao'] ? { 'Access-Control-Allow-Origin': req.headers['x-app-acao'] } : {} }));
    });
    for (const origin of ['https://app.example.com', 'https://tenant.example.org']) {
      const res = await request(app).get('/boom').set('Origin', origin).set('Authorization', 'x');
      expect([res.status, res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials'], res.headers.vary]).toEqual([403, origin, 'true', 'Origin']);
    }
    const rejected = await request(app).get('/boom').set('Origin', 'https://evil.example').set('Authorization', 'x');
    expect([rejected.status, rejected.headers['access-control-allow-origin'], rejected.headers.vary]).toEqual([403, undefined, 'Origin']);
    const appHeader = await request(app).get('/boom').set('Origin', 'https://app.example.com').set('Authorization', 'x').set('X-App-Acao', '*');
    expect([appHeader.headers['access-control-allow-origin'], appHeader.headers['access-control-allow-credentials']]).toEqual(['*', 'true']);
  });

  it('counts exactly: N concurrent requests in, N counted', async () => {
    const { app, registry } = build();
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const N = 300;
    const kinds = ['allowed', 'rejected', 'preflight', 'tenant', 'none'] as const;
    const send = (i: number) => {
      const kind = kinds[i % kinds.length];
      const r = kind === 'preflight' ? request(base).options('/items/1').set('Access-Control-Request-Method', 'PUT') : request(base).put('/items/1').set('Authorization', 'x');
      if (kind === 'allowed' || kind === 'preflight') r.set('Origin', 'https://app.example.com');
      if (kind === 'rejected') r.set('Origin', `https://evil${i}.example.com`);
      if (kind === 'tenant') r.set('Origin', 'https://tenant.example.org');
      return r;
    };
    try {
      await Promise.all(Array.from({ length: N }, (_, i) => send(i)));
    } finally {
      server.close();
    }
    const per = N / kinds.length;
    expect(await metricSum(registry, 'cors_requests_total')).toBe(N - per);
    expect(await metricSum(registry, 'cors_non_cors_requests_total')).toBe(per);
    expect(await metricSum(registry, 'cors_requests_total', { request_type: 'actual', outcome: 'allowed' })).toBe(2 * per);
    expect(await metricSum(registry, 'cors_requests_total', { request_type: 'preflight', outcome: 'allowed' })).toBe(per);
    expect(await metricSum(registry, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(per);
    expect(await metricSum(registry, 'cors_preflight_duration_seconds_count')).toBe(per);
  });

  it('serves /metrics in the text format', async () => {
    const { app } = build();
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('# TYPE cors_requests_total counter');
    expect(res.text).toMatch(/cors_config_info\{route="default",policy_hash="[0-9a-f]{12}",origin_policy="list\+resolver",credentials="true",cross_origin_protection="off",cross_origin_bypass=""\} 1/);
  });
});

describe('/metrics protection', () => {
  it('refuses without the bearer token or basic credentials, in constant time', async () => {
    const cors = corsSentinel({ origins: '*', logger: false });
    const bearer = express5().get('/metrics', cors.metricsHandler({ auth: { bearerToken: 's3cret-0123456789abcdef' } }));
    await request(bearer).get('/metrics').expect(401).expect('WWW-Authenticate', 'Bearer');
    await request(bearer).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    await request(bearer).get('/metrics').set('Authorization', 'Bearer s3cret-0123456789abcdef').expect(200);
    const basic = express5().get('/metrics', cors.metricsHandler({ auth: { username: 'prom', password: 'pw-0123456789abcdef' } }));
    await request(basic).get('/metrics').auth('prom', 'nope').expect(401);
    await request(basic).get('/metrics').auth('prom', 'pw-0123456789abcdef').expect(200);
  });

  it('serves on a separate port, and only the metrics path', async () => {
    const cors = corsSentinel({ origins: ['https://app.example.com'], logger: false });
    const server = await cors.serveMetrics({ port: 0 });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await request(base).get('/metrics');
      expect(res.text).toContain('cors_origin_label_limit 50');
      await request(base).get('/').expect(404);
      await request(base).post('/metrics').expect(405);
    } finally {
      server.close();
    }
  });
});
