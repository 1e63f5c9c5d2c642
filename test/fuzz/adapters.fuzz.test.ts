/**
 * Every in-process entry point under generated raw traffic (issue 23 §2): Express 5 and 4, node:http,
 * Fastify, Koa, the observer and standalone cross-origin protection, plus the metrics listener.
 * Each must answer every request with a status below 500 or close the socket, stay up, and log no
 * stack trace (the entries' winston logs, the apps' error hooks and console.error are all captured).
 */
import express5 from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Koa from 'koa';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsObserver, koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { crossOriginProtection } from '../../packages/cors-sentinel/src/fetch-metadata/middleware';
import { serveMetrics } from '../../packages/cors-sentinel/src/metrics/handler';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { memoryLogger } from '../support/exchange';
import { APP } from './requests';
import { fuzzListener, STACK_FRAME, summary, type FuzzStats } from './raw-socket';

// express4 is an npm alias of express@4 without types of its own; its API here is the same.
const express4 = require('express4') as typeof express5;

jest.setTimeout(300_000);

/** What reached a log or an error hook during the run: none of it may carry a stack frame. */
const logged: string[] = [];
/** Errors the apps saw: a 5xx-class error is a finding even when its answer was not written. */
const appErrors: string[] = [];
const closers: (() => Promise<void> | void)[] = [];
let consoleError: jest.SpyInstance;

beforeAll(() => {
  consoleError = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
});
afterAll(async () => {
  consoleError.mockRestore();
  for (const close of closers.splice(0).reverse()) await close();
});

function policy(): CorsSentinelOptions {
  const { logger, lines } = memoryLogger();
  closers.push(() => void logged.push(...lines.map((l) => JSON.stringify(l))));
  return {
    origins: [APP, 'https://partner.example.com'],
    credentials: true,
    routes: [{ path: '/api/account/*', origins: [APP] }, { path: '/public/*', origins: '*', credentials: false }],
    crossOriginProtection: { mode: 'enforce', bypass: ['/webhooks/*'] },
    metrics: { registry: new Registry() },
    logger,
  };
}

async function listen(listener: RequestListener): Promise<number> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return (server.address() as AddressInfo).port;
}

function expressApp(express: typeof express5, mount: (app: ReturnType<typeof express5>) => void): RequestListener {
  const app = express();
  mount(app);
  app.use(express.json());
  app.all('/api/account/me', (_req, res) => void res.json({ me: true }));
  app.all('/webhooks/:id', (_req, res) => void res.status(204).end());
  app.use((_req, res) => void res.status(404).end());
  app.use((err: { status?: number; stack?: string }, _req: unknown, res: { status(n: number): { end(): void } }, _next: unknown) => {
    const status = err.status ?? 500;
    if (status >= 500) appErrors.push(err.stack ?? String(err));
    res.status(status).end();
  });
  return app as unknown as RequestListener;
}

async function fastifyApp(): Promise<number> {
  const sink = new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) });
  const app: FastifyInstance = Fastify({ logger: { level: 'warn', stream: sink } });
  await app.register(fastifyCorsSentinel, policy());
  app.all('/api/account/me', async () => ({ me: true }));
  app.all('/webhooks/:id', async (_req, reply) => reply.code(204).send());
  app.setErrorHandler((err: { statusCode?: number; stack?: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) appErrors.push(err.stack ?? String(err));
    void reply.code(status).send();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

function koaApp(mount: (app: Koa) => void): RequestListener {
  const app = new Koa();
  app.on('error', (err: { status?: number; expose?: boolean; stack?: string; code?: string }) => {
    // Koa reports the connection's own errors too (a later pipelined request Node could not parse
    // ends the socket under the response in flight): those are the client's, not the app's.
    if (/^(HPE_|ECONNRESET|EPIPE|ERR_STREAM)/.test(err.code ?? '')) return;
    if ((err.status ?? 500) >= 500 || err.expose !== true) appErrors.push(err.stack ?? String(err));
  });
  mount(app);
  app.use((ctx) => {
    if (ctx.path === '/api/account/me') ctx.body = { me: true };
    else if (ctx.path?.startsWith('/webhooks/')) ctx.status = 204; // Koa's path is null for `*` and authority-form
  });
  return app.callback() as RequestListener;
}

const ENTRIES: [string, () => Promise<number>][] = [
  ['express 5 corsSentinel', () => listen(expressApp(express5, (app) => app.use(corsSentinel(policy()))))],
  ['express 4 corsSentinel', () => listen(expressApp(express4, (app) => app.use(corsSentinel(policy()))))],
  ['node:http corsSentinelHandler', () => listen(corsSentinelHandler(policy(), (_req, res) => res.end('ok')))],
  ['fastify plugin', fastifyApp],
  ['koa middleware', () => listen(koaApp((app) => app.use(koaCorsSentinel(policy()))))],
  [
    'express 5 corsObserver',
    () => {
      const { logger, routes } = policy();
      return listen(expressApp(express5, (app) => {
        app.use(corsObserver({ logger, routes: routes?.map((r) => ({ path: r.path })), expectedOrigins: [APP] }));
        // The layer it audits: reflects any origin with credentials, which the observer must report.
        app.use((req, res, next) => (req.headers.origin && res.setHeader('Access-Control-Allow-Origin', req.headers.origin), next()));
      }));
    },
  ],
  ['koa observer', () => listen(koaApp((app) => app.use(koaCorsObserver({ logger: policy().logger, expectedOrigins: [APP] }))))],
  [
    'standalone crossOriginProtection',
    () => {
      const { logger } = policy();
      const protect = crossOriginProtection({ mode: 'enforce', trustedOrigins: [APP], bypass: ['/webhooks/*'], logger });
      closers.push(() => protect.close());
      return listen(expressApp(express5, (app) => app.use(protect)));
    },
  ],
  [
    'serveMetrics listener',
    async () => {
      const registry = new Registry();
      const server = await serveMetrics(registry, { port: 0, auth: { bearerToken: 'a-fuzz-token-of-32-characters-ok' } });
      closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
      return (server.address() as AddressInfo).port;
    },
  ],
];

const results: FuzzStats[] = [];
afterAll(() => {
  // The figures of the run, for the closing note (seed, counts, time per entry).
  process.stdout.write(`${results.map(summary).join('\n')}\n`);
});

describe.each(ENTRIES)('%s under raw-socket fuzzing', (name, start) => {
  it('answers every request below 500 or closes, stays up, and logs no stack trace', async () => {
    const port = await start();
    const stats = await fuzzListener(name, port);
    results.push(stats);
    expect(stats.failures).toEqual([]);
    expect(stats.answered).toBeGreaterThanOrEqual(Math.min(stats.sent, 1)); // something was answered
    // Still up: a plain request is answered.
    const after = await fuzzListener(`${name} (after)`, port, { requests: 1 });
    expect(after.answered).toBeGreaterThan(0);
    for (const close of closers.splice(0).reverse()) await close();
    expect(appErrors.splice(0)).toEqual([]);
    expect(logged.splice(0).filter((line) => STACK_FRAME.test(line) || /\\n\s+at /.test(line))).toEqual([]);
  });
});
