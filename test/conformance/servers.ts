/**
 * The same application on every adapter, over a real socket: an optional "deadline" layer in front
 * (a timeout middleware that answers 503 itself when the rest is too slow), then cors-sentinel, then
 * routes: `GET /api/account/me` answers `account`, `/metrics` the scrape, anything else `app` — except
 * the error routes, through each framework's own error path: `GET /boom` throws (500) and
 * `GET /missing` fails with a 404 error (Express `next(err)`, Fastify a thrown `statusCode`, Koa
 * `ctx.throw(404)`; node:http has no error handler, so its listener catches and answers itself).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Sentinel } from '../../packages/cors-sentinel/src/sentinel';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as typeof express5;

export interface AppOptions {
  /** A layer before CORS answers 503 after this many ms unless the response was sent. */
  readonly deadlineMs?: number;
}

export interface RunningApp {
  readonly port: number;
  readonly sentinel: Sentinel;
  readonly registry: Registry;
  close(): Promise<void>;
}

export interface AdapterUnderTest {
  readonly name: string;
  start(options: CorsSentinelOptions, app?: AppOptions): Promise<RunningApp>;
}

/** Answers 503 after `ms` unless the response was already sent (like connect-timeout or a proxy deadline). */
export function deadline(res: ServerResponse, ms: number | undefined): void {
  if (ms === undefined) return;
  const timer = setTimeout(() => {
    if (!res.headersSent) res.writeHead(503, { 'Content-Type': 'text/plain' }).end('deadline');
  }, ms);
  res.on('close', () => clearTimeout(timer));
}

export function withTestDefaults(options: CorsSentinelOptions): { options: CorsSentinelOptions; registry: Registry } {
  const registry = new Registry();
  return { options: { logger: false, ...options, metrics: { registry } }, registry };
}

export async function listenOn(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function expressAdapter(name: string, express: typeof express5): AdapterUnderTest {
  return {
    name,
    async start(policy, appOptions = {}) {
      const { options, registry } = withTestDefaults(policy);
      const cors = corsSentinel(options);
      const app = express();
      app.use((_req, res, next) => { deadline(res, appOptions.deadlineMs); next(); });
      app.use(cors);
      app.get('/metrics', cors.metricsHandler());
      app.get('/api/account/me', (_req, res) => { res.send('account'); });
      app.get('/boom', () => { throw new Error('boom'); });
      app.get('/missing', (_req, _res, next) => { next(Object.assign(new Error('missing'), { status: 404 })); });
      app.use((_req, res) => { res.send('app'); });
      const server = createServer(app);
      const port = await listenOn(server);
      return { port, sentinel: cors, registry, close: () => { cors.close(); return closeServer(server); } };
    },
  };
}

const nodeAdapter: AdapterUnderTest = {
  name: 'node:http',
  async start(policy, appOptions = {}) {
    const { options, registry } = withTestDefaults(policy);
    let metrics: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const handler = corsSentinelHandler(options, (req, res) => {
      const path = (req.url ?? '/').replace(/^https?:\/\/[^/]*/, '').split('?')[0];
      if (path === '/metrics') return metrics?.(req, res);
      try {
        if (path === '/boom') throw new Error('boom');
        if (path === '/missing') throw Object.assign(new Error('missing'), { status: 404 });
        res.end(path === '/api/account/me' && req.method === 'GET' ? 'account' : 'app');
      } catch (err) {
        res.statusCode = (err as { status?: number }).status ?? 500;
        res.end('error');
      }
    });
    metrics = handler.metricsHandler();
    const server = createServer((req, res) => {
      deadline(res, appOptions.deadlineMs);
      handler(req, res);
    });
    const port = await listenOn(server);
    return { port, sentinel: handler, registry, close: () => { handler.close(); return closeServer(server); } };
  },
};

const fastifyAdapter: AdapterUnderTest = {
  name: 'Fastify',
  async start(policy, appOptions = {}) {
    const { options, registry } = withTestDefaults(policy);
    const app = Fastify();
    app.addHook('onRequest', (_request, reply, done) => { deadline(reply.raw, appOptions.deadlineMs); done(); });
    await app.register(fastifyCorsSentinel, options);
    const metrics = app.corsSentinel.metricsHandler();
    app.get('/metrics', (request, reply) => { reply.hijack(); metrics(request.raw, reply.raw); });
    app.get('/api/account/me', async () => 'account');
    app.get('/boom', async () => { throw new Error('boom'); });
    app.get('/missing', async () => { throw Object.assign(new Error('missing'), { statusCode: 404 }); });
    app.all('/*', async () => 'app');
    app.all('/', async () => 'app');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    return { port, sentinel: app.corsSentinel, registry, close: async () => { app.server.closeAllConnections(); await app.close(); } };
  },
};

const koaAdapter: AdapterUnderTest = {
  name: 'Koa',
  async start(policy, appOptions = {}) {
    const { options, registry } = withTestDefaults(policy);
    const cors = koaCorsSentinel(options);
    const metrics = cors.metricsHandler();
    const app = new Koa();
    app.silent = true; // the error routes' errors are expected: not logged to stderr
    app.use(async (ctx, next) => { deadline(ctx.res, appOptions.deadlineMs); await next(); });
    app.use(cors);
    app.use(async (ctx) => {
      if (ctx.path === '/metrics') { ctx.respond = false; metrics(ctx.req, ctx.res); return; }
      if (ctx.path === '/boom') throw new Error('boom');
      if (ctx.path === '/missing') ctx.throw(404);
      ctx.body = ctx.path === '/api/account/me' && ctx.method === 'GET' ? 'account' : 'app';
    });
    const server = createServer(app.callback());
    const port = await listenOn(server);
    return { port, sentinel: cors, registry, close: () => { cors.close(); return closeServer(server); } };
  },
};

export const ADAPTERS: readonly AdapterUnderTest[] = [
  expressAdapter('Express 5', express5),
  expressAdapter('Express 4', express4),
  nodeAdapter,
  fastifyAdapter,
  koaAdapter,
];
