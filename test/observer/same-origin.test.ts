/**
 * Enforce and observe modes label the same request alike: the observer's audit uses the engine's
 * same-origin check. `Origin: https://api.example.com:443` (a default port browsers never send) with
 * `Host: api.example.com` used to be same-origin (non_cors) for the observer and cross-origin for the
 * engine. Both run over real sockets here, with no other CORS layer behind the observer.
 */
import express from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { listen, send, series } from '../support/exchange';

const CASES: ReadonlyArray<readonly [string, string]> = [
  ['https://api.example.com:443', 'api.example.com'],
  ['https://api.example.com', 'api.example.com:443'],
  ['https://API.example.com', 'api.example.com'],
  ['http://api.example.com:80', 'api.example.com'],
  ['https://api.example.com', 'api.example.com'],
];

async function labels(mode: 'enforce' | 'observe', origin: string, host: string): Promise<Record<string, number>> {
  const registry = new Registry();
  const options = { logger: false as const, metrics: { registry } };
  const layer = mode === 'enforce' ? corsSentinel({ origins: ['https://app.example.com'], ...options }) : corsObserver(options);
  const app = express();
  app.use(layer);
  app.use((_req, res) => { res.send('ok'); });
  const server = await listen(app);
  try {
    await send(server.port, { path: '/x', headers: { Host: host, Origin: origin } });
  } finally {
    layer.close();
    await server.close();
  }
  return { ...(await series(registry, 'cors_requests_total')), ...(await series(registry, 'cors_non_cors_requests_total')) };
}

describe('same-origin: enforce and observe agree', () => {
  it.each(CASES)('Origin %s with Host %s is labelled identically', async (origin, host) => {
    const enforced = await labels('enforce', origin, host);
    const observed = await labels('observe', origin, host);
    expect(Object.keys(observed).map((k) => k.replace(/,?reason="[^"]*"/, ''))).toEqual(Object.keys(enforced));
  });
});
