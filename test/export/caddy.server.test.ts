/**
 * The exported Caddyfile, run by the real Caddy 2.6 in front of a real upstream, answers every
 * equivalence vector exactly as the middleware with the same policy. The one documented difference:
 * Go's HTTP server writes header fields sorted by name, so the order of the CORS headers is not compared.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { send, type Running } from '../support/exchange';
import { compare, probeFindings, startEdge, startMiddleware, startUpstream, type RunningEdge } from './edges';
import { APP, equivalenceVectors, POLICY, PRESENCE_VECTORS, WILDCARD_SPELLINGS } from './vectors';

jest.setTimeout(120_000);

const caddy = (dir: string): { command: string; args: string[] } => ({
  command: 'caddy', args: ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
});

let upstream: Running & { readonly preflightsSeen: string[] };
let middleware: Running;
let edge: RunningEdge;

beforeAll(async () => {
  upstream = await startUpstream();
  middleware = await startMiddleware(POLICY);
  edge = await startEdge('caddy', POLICY, upstream.port, caddy);
});
afterAll(async () => {
  await edge?.close();
  await middleware?.close();
  await upstream?.close();
});

it('passes caddy validate', () => {
  const out = execFileSync('caddy', ['validate', '--config', join(edge.dir, 'Caddyfile'), '--adapter', 'caddyfile'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toContain('Valid configuration');
});

// Caddy's header_regexp sees whether a header is present, so empty values are judged too.
it.each([...equivalenceVectors(), ...PRESENCE_VECTORS])('%s: same answer as the middleware', async (_name, req) => {
  const { edge: e, middleware: m } = await compare(edge.port, middleware.port, req);
  expect({ ...e, order: String(e.order).split(' ').sort() }).toEqual({ ...m, order: String(m.order).split(' ').sort() });
});

it('answers preflights itself: the upstream never sees one on a route with CORS', async () => {
  const pre = await send(edge.port, { method: 'OPTIONS', path: '/api/x', headers: { Origin: APP, 'Access-Control-Request-Method': 'PUT' } });
  expect([pre.status, pre.body]).toEqual([204, '']);
  expect(upstream.preflightsSeen.filter((path) => !path.toLowerCase().startsWith('/static'))).toEqual([]);
  expect(upstream.preflightsSeen.length).toBeGreaterThan(0);
});

it.each(WILDCARD_SPELLINGS)('documented difference: %s matches a wildcard only as browsers spell it; the edge refuses it (fail-closed)', async (origin) => {
  const { edge: e, middleware: m } = await compare(edge.port, middleware.port, { path: '/api/items', headers: { Origin: origin } });
  expect(m['access-control-allow-origin']).toBe(origin.toLowerCase().replace(':443', ''));
  expect([e['access-control-allow-origin'], e.vary]).toEqual([undefined, 'Origin']);
});

it('cors-sentinel probe finds nothing high or medium, and the same as on the middleware', async () => {
  const [onEdge, onMiddleware] = await Promise.all([probeFindings(edge.port, APP), probeFindings(middleware.port, APP)]);
  expect(onEdge.skipped).toBe(0);
  expect(onEdge.findings.filter((f) => /^(high|medium):/.test(f))).toEqual([]);
  expect(onEdge.findings).toEqual(onMiddleware.findings);
});
