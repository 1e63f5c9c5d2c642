/**
 * The exported nginx writes the cors_json access log at DIR/cors.log; `cors-sentinel logs --policy`
 * reading it counts the same requests, outcomes and rejections as the middleware for the same traffic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLogObserver } from '../../packages/cli/src/logs/observer';
import { observerOptions } from '../../packages/cli/src/proxy/observer-options';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import { listen, send, series, type Req, type Running } from '../support/exchange';
import { app, startEdge, startUpstream, type RunningEdge } from './edges';
import { APP, POLICY } from './vectors';

jest.setTimeout(120_000);

const nginx = (dir: string): { command: string; args: string[] } => ({
  command: 'nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
});

const preflight = (origin: string, method = 'PUT', headers?: string, path = '/api/items'): Req => ({
  method: 'OPTIONS', path, headers: { Origin: origin, 'Access-Control-Request-Method': method, ...(headers ? { 'Access-Control-Request-Headers': headers } : {}) },
});

/** The conformance suite's concurrency mix, and every route and kind of refusal. */
function traffic(): Req[] {
  const mix: Req[] = [];
  for (let i = 0; i < 40; i++) mix.push({ path: `/api/items/${i}`, headers: { Origin: APP } });
  for (let i = 0; i < 30; i++) mix.push({ path: '/api/items', headers: { Origin: `https://evil${i}.example` } });
  for (let i = 0; i < 20; i++) mix.push(preflight(APP));
  for (let i = 0; i < 15; i++) mix.push({ path: '/api/items' });
  for (let i = 0; i < 5; i++) mix.push({ path: '/public/logo', headers: { Origin: `https://site${i}.example` } });
  for (let i = 0; i < 5; i++) mix.push({ path: '/api/items', headers: { Origin: 'null' } }, { path: '/api/items', headers: { Origin: 'https://a b' } });
  for (let i = 0; i < 4; i++) mix.push({ path: '/api/items', headers: { Origin: `https://pr-${i}.preview.example.com` } });
  mix.push(preflight('https://evil.example'), preflight('null', 'GET'), preflight(APP, 'GET', undefined, '/admin'), { path: '/static/x', headers: { Origin: APP } });
  return mix;
}

const COUNTED = ['cors_requests_total', 'cors_non_cors_requests_total', 'cors_violations_total'];

let upstream: Running;
let middleware: Running;
let edge: RunningEdge;
const middlewareRegistry = new Registry();

beforeAll(async () => {
  upstream = await startUpstream();
  middleware = await listen(corsSentinelHandler({ ...POLICY, logger: false, metrics: { registry: middlewareRegistry } }, app));
  edge = await startEdge('nginx', POLICY, upstream.port, nginx);
});
afterAll(async () => {
  await edge?.close();
  await middleware?.close();
  await upstream?.close();
});

async function logLines(path: string, atLeast: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
    if (lines.length >= atLeast) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fewer than ${atLeast} lines in ${path}`);
}

it('counts exactly what the middleware counts: requests by route, type, outcome and origin; requests without CORS; rejections', async () => {
  const mix = traffic();
  const readiness = (readFileSync(join(edge.dir, 'cors.log'), 'utf8').match(/\n/g) ?? []).length;
  for (const r of mix) await Promise.all([send(edge.port, r), send(middleware.port, r)]);
  const lines = (await logLines(join(edge.dir, 'cors.log'), readiness + mix.length)).slice(readiness);

  const logs = createLogObserver(observerOptions({ ...loadPolicyFile(join(edge.dir, 'policy.yaml')), logger: false }, { registry: new Registry() }));
  try {
    expect(lines.map((l) => logs.line(l)).filter((r) => r !== 'observed')).toEqual([]);
    for (const name of COUNTED) expect(await series(logs.registry, name)).toEqual(await series(middlewareRegistry, name));
    const rejected = Object.values(await series(logs.registry, 'cors_violations_total')).reduce((a, b) => a + b, 0);
    expect(rejected).toBe(30 + 5 + 5 + 2);
  } finally {
    logs.close();
  }
});
