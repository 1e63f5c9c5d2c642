/**
 * The routing differential (issue 23 §1) against the real routers, over real sockets: Express 4 and
 * 5, Fastify (default, each router option, all of them, a deprecated top-level spelling), Koa with
 * @koa/router, and node:http with a hand router over the contract. For the attacks of the issue and a
 * seeded corpus of encoded and odd targets (./corpus.ts), the handler that runs must have been judged
 * under that handler's own CORS route — or the request refused with 400 — and nothing may be a 5xx.
 * The proxy in front of Flask/Werkzeug under gunicorn is in flask-differential.test.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import express5 from 'express';
import Fastify, { type FastifyServerOptions } from 'fastify';
import Koa from 'koa';
import { Router } from '@koa/router';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { routingPath } from '../../packages/cors-sentinel/src/http/routing-path';
import { listen, type Running } from '../support/exchange';
import { corpus, differential, HANDLERS, MARKING_POLICY, SEED } from './corpus';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const express4 = require('express4') as () => Express;

const CORPUS_SIZE = 400;
const TARGETS = corpus(CORPUS_SIZE);

async function expressApp(make: () => Express): Promise<Running> {
  const app = make();
  app.use(corsSentinel(MARKING_POLICY));
  for (const h of HANDLERS) app.all(h, (_req, res) => void res.send(`H:${h}`));
  return listen(app);
}

async function fastifyApp(options: FastifyServerOptions): Promise<Running> {
  const app = Fastify(options);
  await app.register(fastifyCorsSentinel, MARKING_POLICY);
  for (const h of HANDLERS) app.all(h, async () => `H:${h}`);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

async function koaApp(): Promise<Running> {
  const app = new Koa();
  const router = new Router();
  for (const h of HANDLERS) router.all(h, (ctx) => void (ctx.body = `H:${h}`));
  app.use(koaCorsSentinel(MARKING_POLICY));
  app.use(router.routes());
  return listen(app.callback());
}

/** node:http routes on routingPath(req.url): the contract is the router, matched exactly. */
async function nodeApp(): Promise<Running> {
  return listen(
    corsSentinelHandler(MARKING_POLICY, (req, res) => {
      const path = routingPath(req.url ?? '/');
      const handler = HANDLERS.find((h) => h === path);
      res.statusCode = handler === undefined ? 404 : 200;
      res.end(handler === undefined ? 'not found' : `H:${handler}`);
    }),
  );
}

const APPS: ReadonlyArray<readonly [string, () => Promise<Running>]> = [
  ['Express 4', () => expressApp(express4)],
  ['Express 5', () => expressApp(express5 as unknown as () => Express)],
  ['Fastify (defaults)', () => fastifyApp({})],
  ['Fastify routerOptions.ignoreDuplicateSlashes', () => fastifyApp({ routerOptions: { ignoreDuplicateSlashes: true } })],
  ['Fastify routerOptions.useSemicolonDelimiter', () => fastifyApp({ routerOptions: { useSemicolonDelimiter: true } } as FastifyServerOptions)],
  ['Fastify routerOptions.caseSensitive false', () => fastifyApp({ routerOptions: { caseSensitive: false } } as FastifyServerOptions)],
  ['Fastify routerOptions.ignoreTrailingSlash', () => fastifyApp({ routerOptions: { ignoreTrailingSlash: true } })],
  ['Fastify with every router option', () => fastifyApp({ routerOptions: { ignoreDuplicateSlashes: true, useSemicolonDelimiter: true, caseSensitive: false, ignoreTrailingSlash: true } } as FastifyServerOptions)],
  ['Fastify top-level ignoreDuplicateSlashes (deprecated spelling)', () => fastifyApp({ ignoreDuplicateSlashes: true, routerOptions: { maxParamLength: 200 } } as FastifyServerOptions)],
  ['Koa + @koa/router', koaApp],
  ['node:http with a hand router over routingPath()', nodeApp],
];

describe(`routing differential: ${TARGETS.length} targets (seed ${SEED}, ${CORPUS_SIZE} generated) against each real router`, () => {
  let warn: jest.SpyInstance;
  beforeAll(() => (warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined))); // Fastify's FSTDEP022
  afterAll(() => warn.mockRestore());

  it.each(APPS)('%s: every handler that runs was judged under its own CORS route', async (_name, start) => {
    const app = await start();
    try {
      const tally = await differential(app.port, TARGETS);
      expect(tally.violations).toEqual([]);
      // The corpus reaches handlers through shaped targets (case, trailing slash, absolute-form, decoding…).
      expect(tally.handledShaped).toBeGreaterThan(10);
    } finally {
      await app.close();
    }
  });
});
