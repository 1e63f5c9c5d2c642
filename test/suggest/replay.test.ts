/**
 * The "done when" at the ledger level: the 35 days of traffic (./traffic.ts) recorded straight
 * into the evidence files of two instances, as a layer that granted every origin would have; `suggest`
 * writes a candidate; the library loads it and the same request shapes go through the engine: no
 * legitimate request rejected, no attack origin allowed, the integrator under review — and the tiers,
 * wildcards, per-route grants and completeness in detail. The same traffic through real layers (a
 * reflecting nginx's log, `corsObserver` over a socket, the enforcing middleware) is
 * replay.server.test.ts.
 */
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { decide } from '../../packages/cors-sentinel/src/engine/decide';
import type { CompiledPolicy } from '../../packages/cors-sentinel/src/engine/compiled';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import { suggest, type SuggestResult } from '../../packages/cli/src/suggest/cli';
import { attackOrigins, BURST, END, generate, INTEGRATOR, TENANTS, type Recorded } from './traffic';

const dir = mkdtempSync(join(tmpdir(), 'suggest-replay-'));
const { files, recorded } = generate();
const evidence = files.map((f, i) => {
  const path = join(dir, `instance-${i}.json`);
  writeFileSync(path, evidenceText(f));
  return path;
});
const TRUST = ['example.com', 'example-store.net'];

async function replay(policy: CompiledPolicy, r: Recorded): Promise<boolean> {
  const s = r.shape;
  const decision = await decide(policy, {
    method: s.preflight ? 'OPTIONS' : s.method, path: s.path, origin: s.origin, host: 'api.example.com',
    accessControlRequestMethod: s.preflight ? s.method : undefined,
    accessControlRequestHeaders: s.preflight && s.headers.length > 0 ? s.headers.join(', ') : undefined,
    hasCookie: s.cookie, secFetchSite: s.secFetchSite === 'absent' ? undefined : s.secFetchSite,
  });
  return decision.outcome === 'allowed';
}

async function outcomes(policy: CompiledPolicy): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = { legitRejected: [], attackAllowed: [], integratorAllowed: [] };
  for (const r of recorded) {
    const allowed = await replay(policy, r);
    const label = `${r.shape.origin} ${r.shape.preflight ? 'preflight ' : ''}${r.shape.method} ${r.shape.path} [${r.shape.headers.join(',')}]`;
    if (r.kind === 'legit' && !allowed) out.legitRejected?.push(label);
    if (r.kind === 'attack' && allowed) out.attackAllowed?.push(label);
    if (r.kind === 'integrator' && allowed) out.integratorAllowed?.push(label);
  }
  return out;
}

describe('suggest on 35 days of permissive traffic', () => {
  let result: SuggestResult;
  const out = join(dir, 'candidate.yaml');
  beforeAll(() => {
    result = suggest({ evidence, out, trust: TRUST, report: join(dir, 'report.json'), nowMs: END - 1 });
  });

  it('writes a candidate the library loads, which rejects no legitimate request, allows no attack and not the integrator', async () => {
    const policy = compilePolicy(loadPolicyFile(out));
    expect(await outcomes(policy)).toEqual({ legitRejected: [], attackAllowed: [], integratorAllowed: [] });
  });

  it('puts the steady integrator under review, never allowed silently, and lists it in the candidate', () => {
    const integrator = result.origins.find((o) => o.origin === INTEGRATOR);
    expect(integrator).toMatchObject({ tier: 'kept-steady', decision: 'review' });
    expect(integrator?.reasons.join(' ')).toMatch(/not trusted/);
    expect(result.candidateText).toContain(`review  ${INTEGRATOR}`);
  });

  it('classifies the weekly and the month-end origins as rare but recurring, and allows them', () => {
    for (const origin of ['https://reports.example.com', 'https://billing.example.com']) {
      expect(result.origins.find((o) => o.origin === origin)).toMatchObject({ tier: 'kept-recurring', decision: 'allow' });
    }
    expect(result.origins.find((o) => o.origin === 'https://app.example.com')).toMatchObject({ tier: 'kept-steady', decision: 'allow' });
  });

  it('classifies every attack origin suspect (deny), the scan burst included', () => {
    const byOrigin = new Map(result.origins.map((o) => [o.origin, o]));
    const notSuspect = [...attackOrigins(), ...BURST].filter((o) => byOrigin.get(o)?.tier !== 'suspect');
    expect(notSuspect).toEqual([]);
    expect(byOrigin.get('null')?.decision).toBe('deny');
    expect(byOrigin.get(BURST[0] as string)?.reasons.join(' ')).toMatch(/first seen within 10 minutes/);
    expect(byOrigin.get('https://exarnple.com')?.reasons.join(' ')).toMatch(/look-alike of the trusted domain example\.com/);
  });

  it('widens the tenants to the narrowest parent, *.shops.example.com, never *.example.com (a suspect lives there)', () => {
    expect(result.wildcards.map((w) => w.pattern)).toEqual(['https://*.shops.example.com']);
    expect(result.candidateText).not.toContain('https://*.example.com');
    const newTenant = result.origins.find((o) => o.origin === TENANTS[39]);
    expect(newTenant).toMatchObject({ tier: 'new', decision: 'allow', coveredBy: 'https://*.shops.example.com' });
    expect(result.notes.join(' ')).toMatch(/under example\.com stay exact: https:\/\/\*\.example\.com would also grant/);
  });

  it('grants per route only the methods and headers used, and credentials only where credentialed grants were seen', () => {
    const options = loadPolicyFile(out);
    const route = (path: string) => options.routes?.find((r) => r.path === path);
    expect(route('/public/*')).toMatchObject({ credentials: false, allowedHeaders: [], methods: ['GET'] });
    expect(route('/admin/*')).toMatchObject({ credentials: true, methods: ['DELETE'], allowedHeaders: ['x-csrf-token'] });
    expect(route('/api/*')?.allowedHeaders).toEqual(['authorization', 'content-type', 'x-csrf-token', 'x-invoice-batch', 'x-report-range']);
    expect(route('/wp-admin/*')).toBeUndefined();
  });

  it('says how complete the evidence is', () => {
    expect(result.completeness).toMatchObject({ windowDays: 35, recordedDays: 35, instances: 2, files: 2, gapDays: [] });
    expect(result.lines[1]).toBe('window: 2026-01-27 .. 2026-03-02 (35 day(s), 35 recorded); no gap days');
  });
});

describe('the evidence file versions', () => {
  it('version 1 files (entries as objects) and the version 2 files the writers write give the same suggestion', () => {
    const v1 = files.map((f, i) => {
      const path = join(dir, `instance-${i}.v1.json`);
      writeFileSync(path, JSON.stringify({ ...f, version: 1 }));
      return path;
    });
    const run = (paths: string[], name: string) => {
      const r = suggest({ evidence: paths, out: join(dir, `${name}.yaml`), trust: TRUST, nowMs: END - 1 });
      return { ...r, lines: r.lines.slice(0, -1) }; // the last line names the output file
    };
    expect(run(v1, 'from-v1')).toEqual(run(evidence, 'from-v2'));
  });
});
