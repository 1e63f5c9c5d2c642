/**
 * Differential test against @fastify/cors: the same options and requests through `@fastify/cors` and
 * through `fastifyCorsSentinel`, each in its own Fastify app over a real socket. What a browser makes
 * of each answer (replayed by the observer's audit) must agree, and every header difference must be
 * one of the deliberate differences documented in docs/migration-from-fastify-cors.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { fastifyCorsSentinel } from '../../packages/cors-sentinel/src/adapters/fastify';
import { auditResponse } from '../../packages/cors-sentinel/src/observer/audit';
import { send, type Exchange, type Req } from '../support/exchange';

const APP = 'https://app.example.com';
const HOST = 'api.example.com';
const DOC = readFileSync(join(__dirname, '../../docs/migration-from-fastify-cors.md'), 'utf8');
const documented = new Set([...DOC.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1] as string));

interface OptionSet {
  readonly id: string;
  readonly theirs: Record<string, unknown>;
  readonly ours: Record<string, unknown>;
}
const full = { methods: ['GET', 'PUT'], allowedHeaders: ['content-type', 'x-a'], exposedHeaders: ['x-id'] };
const SETS: OptionSet[] = [
  { id: 'list+credentials', theirs: { origin: [APP], credentials: true, maxAge: 600, ...full }, ours: { origins: [APP], credentials: true, maxAge: 600, ...full } },
  { id: 'any origin', theirs: { origin: '*', ...full }, ours: { origins: '*', ...full } },
  { id: 'anchored RegExp', theirs: { origin: [APP, /^https:\/\/pr-\d+\.example\.com$/], ...full }, ours: { origins: [APP, /^https:\/\/pr-\d+\.example\.com$/], ...full } },
  { id: 'defaults', theirs: { origin: [APP] }, ours: { origins: [APP] } },
];

const pre = (name: string, origin: string, method: string, headers?: string): readonly [string, Req] => [name, {
  method: 'OPTIONS', path: '/r', headers: { Host: HOST, Origin: origin, 'Access-Control-Request-Method': method, ...(headers ? { 'Access-Control-Request-Headers': headers } : {}) },
}];
const REQUESTS: ReadonlyArray<readonly [string, Req]> = [
  ['actual, allowed origin', { path: '/r', headers: { Host: HOST, Origin: APP } }],
  ['actual with cookie', { path: '/r', headers: { Host: HOST, Origin: APP, Cookie: 'a=1' } }],
  ['actual, other origin', { path: '/r', headers: { Host: HOST, Origin: 'https://evil.example' } }],
  ['actual, RegExp origin', { path: '/r', headers: { Host: HOST, Origin: 'https://pr-12.example.com' } }],
  ['actual, null origin', { path: '/r', headers: { Host: HOST, Origin: 'null' } }],
  ['no Origin', { path: '/r', headers: { Host: HOST } }],
  pre('preflight PUT', APP, 'PUT'),
  pre('preflight PUT + x-a', APP, 'PUT', 'x-a'),
  pre('preflight PUT + content-type', APP, 'PUT', 'content-type'),
  pre('preflight DELETE', APP, 'DELETE'),
  pre('preflight, other origin', 'https://evil.example', 'PUT'),
  ['OPTIONS without Access-Control-Request-Method', { method: 'OPTIONS', path: '/r', headers: { Host: HOST, Origin: APP } }],
];

async function start(register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify();
  await register(app);
  app.all('/r', async () => 'app');
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port, close: async () => { app.server.closeAllConnections(); await app.close(); } };
}

function verdict(r: Req, x: Exchange): string {
  const h = r.headers ?? {};
  const result = auditResponse(
    { method: r.method ?? 'GET', origin: h.Origin, host: h.Host, accessControlRequestMethod: h['Access-Control-Request-Method'], accessControlRequestHeaders: h['Access-Control-Request-Headers'], hasCookie: h.Cookie !== undefined },
    { status: x.status, header: (name) => x.headers[name] },
  );
  return result.outcome ?? result.requestType;
}

/** Which documented difference explains a disagreement between the two answers (undefined: none may exist). */
function explainDifference(set: OptionSet, name: string, r: Req, theirs: Exchange, ours: Exchange): string[] {
  const found: string[] = [];
  const h = r.headers ?? {};
  const preflight = r.method === 'OPTIONS' && h['Access-Control-Request-Method'] !== undefined;
  if (r.method === 'OPTIONS' && !preflight) found.push('options-without-acrm');
  if (preflight && ours.status === 403 && theirs.status === 204) found.push('rejected-preflight');
  if (set.id === 'defaults' && preflight && ['PUT', 'DELETE'].includes(h['Access-Control-Request-Method'] ?? '')) found.push('default-methods');
  if (set.id === 'defaults' && name.includes('x-a')) found.push('default-allowed-headers');
  if (theirs.headers['access-control-allow-credentials'] !== ours.headers['access-control-allow-credentials'] && ours.headers['access-control-allow-origin'] === undefined) found.push('no-cors-headers-without-grant');
  if (theirs.headers['access-control-expose-headers'] !== ours.headers['access-control-expose-headers'] && (preflight || ours.headers['access-control-allow-origin'] === undefined)) found.push('no-cors-headers-without-grant');
  if (theirs.headers.vary !== ours.headers.vary) found.push(preflight ? 'preflight-vary' : 'vary-always');
  const list = (x: Exchange, n: string) => String(x.headers[n] ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean).sort().join(',');
  for (const n of ['access-control-allow-methods', 'access-control-allow-headers']) {
    if (theirs.headers[n] !== ours.headers[n] && ours.status !== 403) found.push(list(theirs, n) === list(ours, n) ? 'list-formatting' : set.id === 'defaults' ? (n.endsWith('methods') ? 'default-methods' : 'default-allowed-headers') : 'unexplained');
  }
  return [...new Set(found)];
}

describe('differential test against @fastify/cors', () => {
  const used = new Set<string>();

  test.each(SETS.map((s) => [s.id, s] as const))('%s', async (_id, set) => {
    const theirs = await start((app) => app.register(fastifyCors, set.theirs));
    const ours = await start((app) => app.register(fastifyCorsSentinel, { ...set.ours, logger: false, metrics: false }));
    try {
      for (const [name, r] of REQUESTS) {
        const [a, b] = await Promise.all([send(theirs.port, r), send(ours.port, r)]);
        const differences = explainDifference(set, name, r, a, b);
        for (const d of differences) used.add(d);
        expect({ name, unexplained: differences.includes('unexplained') }).toEqual({ name, unexplained: false });
        // The browser's verdict agrees unless a documented difference changes what is allowed.
        const changesVerdict = differences.some((d) => ['default-methods', 'default-allowed-headers', 'options-without-acrm'].includes(d));
        if (!changesVerdict) expect({ name, verdict: verdict(r, b) }).toEqual({ name, verdict: verdict(r, a) });
        // Identical headers apart from the documented differences.
        if (differences.length === 0) {
          const cors = (x: Exchange) => Object.fromEntries(Object.entries(x.headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'));
          expect({ name, ...cors(b) }).toEqual({ name, ...cors(a) });
          expect({ name, status: b.status, body: b.body }).toEqual({ name, status: a.status, body: a.body });
        }
      }
    } finally {
      await Promise.all([theirs.close(), ours.close()]);
    }
  });

  test('every difference that occurs is documented, and every documented one occurs', () => {
    expect([...used].sort()).toEqual([...documented].sort());
  });
});
