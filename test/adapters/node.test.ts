/** The node:http entry point over a real socket: CORS is decided before the listener runs. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Registry } from 'prom-client';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { metricSum } from '../support/sentinel';

describe('corsSentinelHandler (node:http)', () => {
  const registry = new Registry();
  const seen: string[] = [];
  const handler = corsSentinelHandler(
    { origins: ['https://app.example.com'], credentials: true, maxAge: 600, logger: false, metrics: { registry } },
    (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/metrics') return metrics(req, res);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    },
  );
  const metrics = handler.metricsHandler();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    handler.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('grants an allowed origin and lets the listener answer', async () => {
    const res = await request(base).get('/items').set('Origin', 'https://app.example.com');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toBe('Origin');
    expect(seen).toEqual(['GET /items']);
  });

  it('answers preflights itself: the listener never sees them', async () => {
    const ok = await request(base).options('/items').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-max-age']).toBe('600');
    const refused = await request(base).options('/items').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'PUT');
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('passes a rejected actual request on without CORS headers, and counts everything', async () => {
    const res = await request(base).get('/items').set('Origin', 'https://evil.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(await metricSum(registry, 'cors_requests_total', { outcome: 'rejected', origin: 'https://evil.example' })).toBeGreaterThanOrEqual(1);
    expect(await metricSum(registry, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBeGreaterThanOrEqual(2);
    const scrape = await request(base).get('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain('cors_requests_total{route="default",request_type="actual",outcome="allowed",origin="https://app.example.com"} 1');
  });
});
