/**
 * The exported nginx config, run by the real nginx in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy: status, body, every
 * Access-Control-* header and Vary.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { send, type Running } from '../support/exchange';
import { compare, startEdge, startMiddleware, startUpstream, type RunningEdge } from './edges';
import { APP, equivalenceVectors, POLICY } from './vectors';

jest.setTimeout(120_000);

const nginx = (dir: string): { command: string; args: string[] } => ({
  command: 'nginx', args: ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
});

let upstream: Running & { readonly preflightsSeen: string[] };
let middleware: Running;
let edge: RunningEdge;

beforeAll(async () => {
  upstream = await startUpstream();
  middleware = await startMiddleware(POLICY);
  edge = await startEdge('nginx', POLICY, upstream.port, nginx);
});
afterAll(async () => {
  await edge?.close();
  await middleware?.close();
  await upstream?.close();
});

it('passes nginx -t', () => {
  const out = execFileSync('nginx', ['-t', ...nginx(edge.dir).args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toBe('');
});

it.each(equivalenceVectors())('%s: same answer as the middleware', async (_name, req) => {
  const { edge: e, middleware: m } = await compare(edge.port, middleware.port, req);
  expect(e).toEqual(m);
});

it('answers preflights itself: the upstream never sees one on a route with CORS', async () => {
  const pre = await send(edge.port, { method: 'OPTIONS', path: '/api/x', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } });
  expect([pre.status, pre.body]).toEqual([204, '']);
  // Every vector above went through the edge too: only the route with CORS off (/static*) passes preflights on.
  expect(upstream.preflightsSeen.filter((path) => !path.toLowerCase().startsWith('/static'))).toEqual([]);
  expect(upstream.preflightsSeen.length).toBeGreaterThan(0);
});
