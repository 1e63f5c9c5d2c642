/**
 * The observer in front of the real `cors` package: it must not change a byte of any response, and
 * /metrics must count what cors actually answered.
 */
import cors from 'cors';
import express5 from 'express';
import { Registry } from 'prom-client';
import { corsObserver, type CorsObserverMiddleware } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { listen, rawExchange, send, series, type Req, type Running } from '../support/exchange';

const APP = 'https://app.example.com';
const PREVIEW = 'https://pr-7.preview.example.com';
const EVIL = 'https://evil.example.net';

type Express = typeof express5;
// express4 is an npm alias of express@4 without types of its own; its API here is the same.
const express4 = require('express4') as Express;
const flavours: Array<[string, Express]> = [['express 5', express5], ['express 4', express4]];

function buildApp(express: Express, observer?: CorsObserverMiddleware) {
  const app = express();
  if (observer) {
    app.use(observer);
    app.get('/metrics', observer.metricsHandler());
  }
  app.use(cors({ origin: [APP, /^https:\/\/pr-\d+\.preview\.example\.com$/], credentials: true, maxAge: 600, exposedHeaders: ['X-Total'] }));
  app.get('/api/items', (_req, res) => { res.setHeader('X-Total', '2'); res.json({ items: [1, 2] }); });
  app.post('/api/items', (_req, res) => { res.status(201).send('created'); });
  app.get('/health', (_req, res) => { res.send('ok'); });
  return app;
}

/** Requests as raw HTTP: every byte of the answer is compared. */
const RAW: string[] = [
  `GET /api/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: ${APP}\r\nCookie: s=1\r\nConnection: close\r\n\r\n`,
  `GET /api/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: ${EVIL}\r\nConnection: close\r\n\r\n`,
  `OPTIONS /api/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: ${APP}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n`,
  `OPTIONS /api/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: ${EVIL}\r\nAccess-Control-Request-Method: DELETE\r\nConnection: close\r\n\r\n`,
  `POST /api/items HTTP/1.1\r\nHost: api.example.com\r\nOrigin: ${PREVIEW}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  `GET /health HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n`,
  `GET /missing HTTP/1.1\r\nHost: api.example.com\r\nOrigin: null\r\nConnection: close\r\n\r\n`,
];

describe.each(flavours)('corsObserver in front of cors (%s)', (_name, express) => {
  let plain: Running;
  let observed: Running;
  let observer: CorsObserverMiddleware;
  let registry: Registry;

  beforeEach(async () => {
    registry = new Registry();
    observer = corsObserver({
      logger: false,
      metrics: { registry },
      routes: [{ path: '/api/*', name: 'api' }],
      expectedOrigins: [APP, 'https://*.preview.example.com'],
    });
    plain = await listen(buildApp(express));
    observed = await listen(buildApp(express, observer));
  });
  afterEach(async () => {
    observer.close();
    await Promise.all([plain.close(), observed.close()]);
  });

  test('responses are byte-identical with and without the observer', async () => {
    for (const head of RAW) {
      const [a, b] = await Promise.all([rawExchange(plain.port, head), rawExchange(observed.port, head)]);
      const scrub = (buf: Buffer) => buf.toString('latin1').replace(/\r\nDate: [^\r]*/i, '\r\nDate: -');
      expect(scrub(b)).toBe(scrub(a));
      expect(b.length).toBe(a.length);
    }
  });

  test('/metrics counts allowed, rejected and preflight requests exactly', async () => {
    const mix: Array<[number, Req]> = [
      [3, { path: '/api/items', headers: { Origin: APP } }],
      [2, { path: '/api/items', headers: { Origin: APP, Cookie: 'sid=1' } }],
      [2, { method: 'POST', path: '/api/items', headers: { Origin: PREVIEW } }],
      [4, { path: '/api/items', headers: { Origin: EVIL } }],
      [2, { method: 'OPTIONS', path: '/api/items', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } }],
      [1, { method: 'OPTIONS', path: '/api/items', headers: { Origin: EVIL, 'Access-Control-Request-Method': 'PUT' } }],
      [1, { path: '/health', headers: { Origin: 'null' } }],
      [5, { path: '/health' }],
    ];
    for (const [n, r] of mix) for (let i = 0; i < n; i++) await send(observed.port, r);

    expect(await series(registry, 'cors_requests_total')).toEqual({
      [`cors_requests_total{origin=${APP},outcome=allowed,request_type=actual,route=api}`]: 5,
      [`cors_requests_total{origin=${PREVIEW},outcome=allowed,request_type=actual,route=api}`]: 2,
      [`cors_requests_total{origin=${EVIL},outcome=rejected,request_type=actual,route=api}`]: 4,
      [`cors_requests_total{origin=${APP},outcome=allowed,request_type=preflight,route=api}`]: 2,
      [`cors_requests_total{origin=${EVIL},outcome=rejected,request_type=preflight,route=api}`]: 1,
      'cors_requests_total{origin=null,outcome=rejected,request_type=actual,route=default}': 1,
    });
    expect(await series(registry, 'cors_violations_total')).toEqual({
      'cors_violations_total{reason=origin_not_allowed,request_type=actual,route=api}': 4,
      'cors_violations_total{reason=origin_not_allowed,request_type=preflight,route=api}': 1,
      'cors_violations_total{reason=null_origin,request_type=actual,route=default}': 1,
    });
    expect(await series(registry, 'cors_non_cors_requests_total')).toEqual({ 'cors_non_cors_requests_total{route=default}': 5 });
    const preflights = await series(registry, 'cors_preflight_duration_seconds');
    expect(preflights['cors_preflight_duration_seconds_count{outcome=allowed,route=api}']).toBe(2);
    expect(preflights['cors_preflight_duration_seconds_count{outcome=rejected,route=api}']).toBe(1);
    // cors answers a rejected origin's preflight with its methods: the audit says so.
    expect(await series(registry, 'cors_response_findings_total')).toEqual({ 'cors_response_findings_total{finding=rejected_preflight_reveals_policy}': 1 });
    // Two origins took label slots (EVIL, null is its own value); APP is expected exactly.
    expect(await series(registry, 'cors_origin_label_values')).toEqual({ 'cors_origin_label_values{}': 2 });

    // The same counts through the /metrics endpoint (scraping is itself a non-CORS request, counted after it is answered).
    const scraped = await send(observed.port, { path: '/metrics' });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain(`cors_requests_total{route="api",request_type="actual",outcome="allowed",origin="${APP}"} 5`);
    expect(scraped.body).toContain(`cors_requests_total{route="api",request_type="preflight",outcome="rejected",origin="${EVIL}"} 1`);
  });
});
