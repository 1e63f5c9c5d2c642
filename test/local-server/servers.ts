/**
 * One local server per entry point — node:http, Express, Fastify, Koa and the sidecar proxy in front
 * of a plain backend — each behind the `localServer` preset, on 127.0.0.1 port 0, with a handler that
 * counts the requests it runs: "refused before the handler" is `calls === 0`, not a status alone.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { corsSentinel, corsSentinelHandler, type CorsSentinelOptions } from '../../packages/cors-sentinel/src';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { koaCorsSentinel } from '../../packages/cors-sentinel/src/adapters/koa';
import { createCorsProxy } from '../../packages/cli/src/proxy/proxy';

export interface LocalServer {
  readonly port: number;
  /** Requests the application's handler ran. */
  readonly calls: () => number;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

export type EntryPoint = 'node:http' | 'express' | 'fastify' | 'koa' | 'proxy';
export const ENTRY_POINTS: readonly EntryPoint[] = ['node:http', 'express', 'fastify', 'koa', 'proxy'];

const BODY = '{"jsonrpc":"2.0","id":1,"result":{}}';

function answer(res: ServerResponse): void {
  res.setHeader('Content-Type', 'application/json');
  res.end(BODY);
}

async function listenOn(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startLocalServer(kind: EntryPoint, options: CorsSentinelOptions): Promise<LocalServer> {
  const registry = new Registry();
  const policy: CorsSentinelOptions = { logger: false, metrics: { registry }, ...options };
  let calls = 0;
  const count = (): void => void calls++;
  const metrics = (): Promise<string> => registry.metrics();
  switch (kind) {
    case 'node:http': {
      const server = createServer(corsSentinelHandler(policy, (_req, res) => (count(), answer(res))));
      return { port: await listenOn(server), calls: () => calls, metrics, close: () => closeServer(server) };
    }
    case 'express': {
      const app = express();
      app.use(corsSentinel(policy));
      app.all('/{*any}', (_req, res) => (count(), answer(res)));
      const server = createServer(app);
      return { port: await listenOn(server), calls: () => calls, metrics, close: () => closeServer(server) };
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fastifyCorsSentinel, policy);
      app.all('/*', async (_req, reply) => (count(), reply.type('application/json').send(BODY)));
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, calls: () => calls, metrics, close: () => app.close() };
    }
    case 'koa': {
      const app = new Koa();
      app.use(koaCorsSentinel(policy));
      app.use((ctx) => {
        count();
        ctx.type = 'application/json';
        ctx.body = BODY;
      });
      const server = createServer(app.callback());
      return { port: await listenOn(server), calls: () => calls, metrics, close: () => closeServer(server) };
    }
    case 'proxy': {
      const backend = createServer((_req: IncomingMessage, res: ServerResponse) => (count(), answer(res)));
      const backendPort = await listenOn(backend);
      const proxy = createCorsProxy({ upstream: `http://127.0.0.1:${backendPort}`, policy: { ...policy, metrics: undefined }, mode: 'enforce' });
      const port = await listenOn(proxy.server);
      return {
        port, calls: () => calls, metrics: () => proxy.registry.metrics(),
        close: async () => {
          await proxy.shutdown();
          await closeServer(backend);
        },
      };
    }
  }
}
