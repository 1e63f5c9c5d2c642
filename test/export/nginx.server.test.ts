/**
 * The exported nginx config, run by the real nginx in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy: status, body, every
 * Access-Control-* header and Vary.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { send, type Running } from '../support/exchange';
import { compare, probeFindings, startEdge, startMiddleware, startUpstream, type RunningEdge } from './edges';
import { APP, equivalenceVectors, POLICY, WILDCARD_SPELLINGS } from './vectors';

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

it.each(WILDCARD_SPELLINGS)('documented difference: %s matches a wildcard only as browsers spell it; the edge refuses it (fail-closed)', async (origin) => {
  const { edge: e, middleware: m } = await compare(edge.port, middleware.port, { path: '/api/items', headers: { Origin: origin } });
  expect(m['access-control-allow-origin']).toBe(origin.toLowerCase().replace(':443', ''));
  expect([e['access-control-allow-origin'], e.vary]).toEqual([undefined, 'Origin']);
});

it('documented difference: nginx reads an empty Origin as absent, so such an OPTIONS goes to the application', async () => {
  const { edge: e, middleware: m } = await compare(edge.port, middleware.port, { method: 'OPTIONS', path: '/api/items', headers: { Origin: '', 'Access-Control-Request-Method': 'PUT' } });
  expect([m.status, e.status, e.body]).toEqual([403, 200, 'app']);
  expect(e['access-control-allow-origin']).toBeUndefined();
});

it('cors-sentinel probe finds nothing high or medium, and the same as on the middleware', async () => {
  const [onEdge, onMiddleware] = await Promise.all([probeFindings(edge.port, APP), probeFindings(middleware.port, APP)]);
  expect(onEdge.skipped).toBe(0);
  expect(onEdge.findings.filter((f) => /^(high|medium):/.test(f))).toEqual([]);
  expect(onEdge.findings).toEqual(onMiddleware.findings);
});
