/**
 * The routing-path contract's total case (issue 23 §2): `GET http://[ HTTP/1.1` — an absolute-form
 * target the URL parser rejects — made routingPath() throw inside the listener (node:http exited, Koa
 * answered 500 with a stack trace). routingPath() now gives undefined and every adapter answers 400
 * with an empty body before any handler runs. The fuzz suite (test/fuzz) covers the wider space.
 */
import express5 from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsObserver, fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsObserver, koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { routingPath } from '../../packages/cors-sentinel/src/http/routing-path';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { rawExchange } from '../support/exchange';

const express4 = require('express4') as typeof express5;
const POLICY = { origins: ['https://app.example.com'], logger: false as const, metrics: false as const };
const UNROUTABLE = ['http://[', 'http://[/api', 'http://[::1'];

it('routingPath() never throws: undefined for a target no router can route', () => {
  for (const target of UNROUTABLE) expect(routingPath(target)).toBeUndefined();
  expect(routingPath('http://host/api/x?y')).toBe('/api/x');
  expect(routingPath('*')).toBe('*');
});

let handlerRuns = 0;
const ran = (): void => void handlerRuns++;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

async function expressListener(express: typeof express5, middleware: Middleware): Promise<RequestListener> {
  const app = express();
  app.use(middleware as never);
  app.use((_req, res) => (ran(), res.end('handler')));
  return app as unknown as RequestListener;
}

function koaListener(middleware: (ctx: never, next: () => Promise<unknown>) => Promise<unknown>): RequestListener {
  const app = new Koa();
  app.silent = false;
  app.use(middleware as never);
  app.use((ctx) => (ran(), (ctx.body = ctx.path)));
  return app.callback() as RequestListener;
}

const CASES: [string, () => Promise<{ port: number; close(): Promise<void> }>][] = [
  ['node:http corsSentinelHandler', () => serve(corsSentinelHandler(POLICY, (_req, res) => (ran(), res.end('handler'))))],
  ['Express 5 corsSentinel', async () => serve(await expressListener(express5, corsSentinel(POLICY)))],
  ['Express 4 corsSentinel', async () => serve(await expressListener(express4, corsSentinel(POLICY)))],
  ['Express 5 corsObserver', async () => serve(await expressListener(express5, corsObserver({ logger: false, metrics: false })))],
  ['Koa middleware', () => serve(koaListener(koaCorsSentinel(POLICY) as never))],
  ['Koa observer', () => serve(koaListener(koaCorsObserver({ logger: false, metrics: false }) as never))],
  ['Fastify plugin', () => fastify(fastifyCorsSentinel, POLICY)],
  ['Fastify observer', () => fastify(fastifyCorsObserver, { logger: false, metrics: false })],
];

async function serve(listener: RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

async function fastify(plugin: unknown, options: object): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify();
  await app.register(plugin as never, options);
  app.all('/*', async () => (ran(), 'handler'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

const OURS = /^HTTP\/1\.1 400 Bad Request\r\n(?:[^\r]+\r\n)*?Content-Length: 0\r\n(?:[^\r]+\r\n)*\r\n$/i;
const FRAMEWORK_4XX = /^HTTP\/1\.1 4\d\d /;

describe.each(CASES)('%s', (name, start) => {
  const expected = /^(Express|Fastify)/.test(name) ? FRAMEWORK_4XX : OURS;
  it.each(UNROUTABLE)('answers GET %s with 400 and an empty body before any handler, and keeps serving', async (target) => {
    const server = await start();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      handlerRuns = 0;
      const answer = (await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example.com\r\nConnection: close\r\n\r\n`)).toString('latin1');
      // 400 with an empty body from the adapter, or the framework's own 4xx where its router refuses the
      // target before any middleware runs (Express answers 404, Fastify 400 FST_ERR_BAD_URL).
      expect(answer).toMatch(expected);
      expect(handlerRuns).toBe(0);
      const next = (await rawExchange(server.port, 'GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')).toString('latin1');
      expect(next).toMatch(/^HTTP\/1\.1 200 /);
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
      await server.close();
    }
  });
});
