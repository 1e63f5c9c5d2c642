/**
 * One equivalence suite for every real edge: the exported config in front of a real upstream against
 * the middleware with the same policy — every vector, the preflights kept from the upstream, the prober,
 * and the documented differences.
 */
import { execFileSync } from 'node:child_process';
import { send, type Exchange, type Running } from '../support/exchange';
import { compare, probeFindings, startEdge, startMiddleware, startUpstream, type Launch, type RunningEdge } from './edges';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { APP, equivalenceVectors, POLICY, POLICY_2, PRESENCE_VECTORS, WILDCARD_SPELLINGS } from './vectors';

export interface EdgeUnderTest {
  readonly target: string;
  readonly launch: Launch;
  /** The edge's own check of the config (`nginx -t`, `haproxy -c`, `caddy validate`): throws when it fails. */
  readonly check: (dir: string) => void;
  /** The edge tells an empty header from an absent one. */
  readonly seesPresence: boolean;
  /** The edge writes header fields in an order of its own (Go sorts them by name). */
  readonly ownHeaderOrder: boolean;
}

export interface EdgeContext {
  readonly edge: RunningEdge;
  readonly middleware: Running;
}

/**
 * Defines the suite in the calling test file for the main policy (test/export/vectors.ts) and, in a
 * second block, for POLICY_2 (no credentials, null and custom-scheme origins, safelisted-only methods on a
 * route); returns the running pair of the first for the file's own tests.
 */
export function edgeSuite(e: EdgeUnderTest): EdgeContext {
  jest.setTimeout(120_000);
  const ctx = policySuite(e, POLICY, true);
  describe('a second policy', () => void policySuite(e, POLICY_2, false));
  return ctx;
}

function policySuite(e: EdgeUnderTest, policy: CorsSentinelOptions, hasPreviewWildcard: boolean): EdgeContext {
  let upstream: Running & { readonly preflightsSeen: string[] };
  const ctx = {} as { edge: RunningEdge; middleware: Running };

  beforeAll(async () => {
    upstream = await startUpstream();
    ctx.middleware = await startMiddleware(policy);
    ctx.edge = await startEdge(e.target, policy, upstream.port, e.launch);
  });
  afterAll(async () => {
    await ctx.edge?.close();
    await ctx.middleware?.close();
    await upstream?.close();
  });

  it(`passes the edge's own config check`, () => {
    expect(() => e.check(ctx.edge.dir)).not.toThrow();
  });

  const order = (seen: Record<string, string | number>): Record<string, unknown> =>
    (e.ownHeaderOrder ? { ...seen, order: String(seen.order).split(' ').sort() } : seen);
  it.each([...equivalenceVectors(), ...(e.seesPresence ? PRESENCE_VECTORS : [])])('%s: same answer as the middleware', async (_name, req) => {
    const { edge, middleware } = await compare(ctx.edge.port, ctx.middleware.port, req);
    expect(order(edge)).toEqual(order(middleware));
  });

  it('answers preflights itself: the upstream never sees one on a route with CORS', async () => {
    const pre: Exchange = await send(ctx.edge.port, { method: 'OPTIONS', path: '/x', headers: { Origin: APP, 'Access-Control-Request-Method': 'GET' } });
    expect([pre.status, pre.body]).toEqual([204, '']);
    // Every vector above went through the edge too: only the route with CORS off (/static*) passes preflights on.
    expect(upstream.preflightsSeen.filter((path) => !path.toLowerCase().startsWith('/static'))).toEqual([]);
    // And the route with CORS off did pass them on (the recording works), where the policy has one.
    if (policy.routes?.some((r) => r.origin === false)) expect(upstream.preflightsSeen.length).toBeGreaterThan(0);
  });

  if (hasPreviewWildcard) it.each(WILDCARD_SPELLINGS)('documented difference: %s matches a wildcard only as browsers spell it; the edge refuses it (fail-closed)', async (origin) => {
    const { edge, middleware } = await compare(ctx.edge.port, ctx.middleware.port, { path: '/api/items', headers: { Origin: origin } });
    expect(middleware['access-control-allow-origin']).toBe(origin.toLowerCase().replace(':443', ''));
    expect([edge['access-control-allow-origin'], edge.vary]).toEqual([undefined, 'Origin']);
  });

  it('cors-sentinel probe finds nothing high or medium, and the same as on the middleware', async () => {
    const [onEdge, onMiddleware] = await Promise.all([probeFindings(ctx.edge.port, APP), probeFindings(ctx.middleware.port, APP)]);
    expect(onEdge.skipped).toBe(0);
    expect(onEdge.findings.filter((f) => /^(high|medium):/.test(f))).toEqual([]);
    expect(onEdge.findings).toEqual(onMiddleware.findings);
  });
  return ctx;
}

/** Runs a command for its exit status only (a config check). */
export function runsClean(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: 'pipe' });
}
