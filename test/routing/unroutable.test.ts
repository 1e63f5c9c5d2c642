/**
 * Issue 23 §2, first bullet: `GET http://[ HTTP/1.1` (an absolute-form target the URL parser rejects)
 * made routingPath() throw inside the listener — node:http wrapped in corsSentinelHandler() exited,
 * Koa answered 500 with a stack trace, `probe --serve` exited. Every entry now answers 400 with an
 * empty body before any handler, and keeps serving.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import express5 from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsObserver, fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsObserver, koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { crossOriginProtection } from '../../packages/cors-sentinel/src/fetch-metadata/middleware';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { startExporter } from '../../packages/cli/src/probe/exporter';
import { Registry } from 'prom-client';
import { serveMetrics } from '../../packages/cors-sentinel/src/metrics/handler';
import { startProxy } from '../proxy/support';
import { listen, type Running } from '../support/exchange';
import { ORIGIN, raw } from './corpus';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as () => Express;

const POLICY = { origins: [ORIGIN], logger: false as const, metrics: false as const };
const UNROUTABLE = ['http://[', 'http://[/api/x', 'http://[::1/api/x'];

interface Entry {
  readonly port: number;
  /** Whether a handler (or the app behind the middleware) ran since the last call. */
  ran(): boolean;
  close(): Promise<void>;
}

function tracked(start: (mark: () => void) => Promise<Running>): () => Promise<Entry> {
  return async () => {
    let ran = false;
    const running = await start(() => (ran = true));
    const took = (): boolean => {
      const was = ran;
      ran = false;
      return was;
    };
    return { port: running.port, ran: took, close: running.close };
  };
}

function expressEntry(make: () => Express, mount: (app: Express) => void): () => Promise<Entry> {
  return tracked((mark) => {
    const app = make();
    mount(app);
    app.use((_req, res) => {
      mark();
      res.send('H:app');
    });
    return listen(app);
  });
}

function fastifyEntry(observer: boolean): () => Promise<Entry> {
  return tracked(async (mark) => {
    const app = Fastify();
    if (observer) await app.register(fastifyCorsObserver, { logger: false, metrics: false });
    else await app.register(fastifyCorsSentinel, POLICY);
    app.get('/*', async () => (mark(), 'H:app'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
  });
}

function koaEntry(observer: boolean): () => Promise<Entry> {
  return tracked((mark) => {
    const app = new Koa();
    app.silent = true;
    app.use(observer ? koaCorsObserver({ logger: false, metrics: false }) : koaCorsSentinel(POLICY));
    app.use((ctx) => {
      mark();
      ctx.body = 'H:app';
    });
    return listen(app.callback());
  });
}

/** The Connect-style middleware on a bare node:http server (Express's own router answers 404 before any middleware). */
function connectEntry(middleware: (req: IncomingMessage, res: ServerResponse, next: () => void) => void): () => Promise<Entry> {
  return tracked((mark) => listen((req, res) => middleware(req, res, () => (mark(), res.end('H:app')))));
}

// Express 4 and 5 answer such a target 404 themselves (their router cannot read it), before any middleware.
const ENTRIES: ReadonlyArray<readonly [string, () => Promise<Entry>, number]> = [
  ['Express 4 corsSentinel', expressEntry(express4, (app) => app.use(corsSentinel(POLICY))), 404],
  ['Express 5 corsSentinel', expressEntry(express5 as unknown as () => Express, (app) => app.use(corsSentinel(POLICY))), 404],
  ['corsSentinel as Connect middleware', connectEntry(corsSentinel(POLICY)), 400],
  ['crossOriginProtection (standalone) as Connect middleware', connectEntry(crossOriginProtection({ logger: false, metrics: false })), 400],
  ['node:http corsSentinelHandler', tracked((mark) => listen(corsSentinelHandler(POLICY, (_req, res) => (mark(), res.end('H:app'))))), 400],
  ['Koa koaCorsSentinel', koaEntry(false), 400],
  ['Fastify plugin', fastifyEntry(false), 400],
];

describe.each(ENTRIES)('%s and an absolute-form target the URL parser rejects', (_name, start, status) => {
  let entry: Entry;
  beforeAll(async () => (entry = await start()));
  afterAll(async () => entry?.close());

  it.each(UNROUTABLE)(`GET %s: ${status} with an empty body, no handler, and the server keeps serving`, async (target) => {
    const r = await raw(entry.port, target, { method: 'POST', headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } });
    expect(r.status).toBe(status);
    expect(r.body).not.toMatch(/H:app|\n\s+at /); // no handler ran, no stack trace
    expect(entry.ran()).toBe(false);
    const next = await raw(entry.port, '/api/x', { headers: { Origin: ORIGIN } });
    expect(next.body).toContain('H:app');
    expect(entry.ran()).toBe(true); // the marker sees a handler that runs
  });
});

describe.each([
  ['Express corsObserver', expressEntry(express5 as unknown as () => Express, (app) => app.use(corsObserver({ logger: false, metrics: false })))],
  ['Koa koaCorsObserver', koaEntry(true)],
  ['Fastify observer plugin', fastifyEntry(true)],
] as const)('%s (observer mode changes no answer) and an unroutable target', (_name, start) => {
  it('leaves the answer to the framework and keeps serving: never a crash, never a 500', async () => {
    const entry = await start();
    try {
      const r = await raw(entry.port, 'http://[', { headers: { Origin: ORIGIN } });
      expect(r.status).toBeGreaterThan(0);
      expect(r.status).not.toBe(500);
      expect((await raw(entry.port, '/api/x', { headers: { Origin: ORIGIN } })).body).toContain('H:app');
    } finally {
      await entry.close();
    }
  });
});

describe('metrics and admin listeners', () => {
  it('serveMetrics answers 400 to GET http://[, reads absolute-form /metrics as a router would, and keeps serving', async () => {
    const registry = new Registry();
    const server = await serveMetrics(registry, { port: 0 });
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await raw(port, 'http://[')).status).toBe(400);
      expect((await raw(port, '/other')).status).toBe(404);
      expect((await raw(port, 'http://127.0.0.1/metrics?x')).status).toBe(200);
      expect((await raw(port, '/metrics')).status).toBe(200);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("the proxy's admin listener answers 400 to GET http://[ and keeps serving /healthz", async () => {
    const proxy = await startProxy({ upstream: 'http://127.0.0.1:9', policy: POLICY });
    const port = Number(new URL(proxy.adminUrl).port);
    try {
      expect((await raw(port, 'http://[')).status).toBe(400);
      expect((await raw(port, '/healthz')).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });
});

describe('the probe exporter (`cors-sentinel probe --serve`)', () => {
  it('answers 400 to GET http://[ and keeps serving /metrics', async () => {
    const config = parseExporterConfig({ modules: { app: { siteOrigin: ORIGIN } }, targets: [{ url: 'http://127.0.0.1:9' }] });
    const exporter = await startExporter(config, '127.0.0.1', 0);
    const port = Number(new URL(exporter.url).port);
    try {
      expect((await raw(port, 'http://[')).status).toBe(400);
      expect((await raw(port, 'http://[/probe?target=x')).status).toBe(400);
      const metrics = await raw(port, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('cors_probe_exporter_probes_total');
    } finally {
      await exporter.close();
    }
  });
});
