/**
 * `suggest --policy`: the candidate is written as the `reportOnly` section beside the policy in force
 * (which stays as it was), the diff names what changes, configured origins not seen are unused only
 * once the evidence reaches --min-days, and pinned origins (keep marker or --keep) stay.
 */
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { decide } from '../../packages/cors-sentinel/src/engine/decide';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import { suggest } from '../../packages/cli/src/suggest/cli';
import { END, generate, INTEGRATOR } from './traffic';

const dir = mkdtempSync(join(tmpdir(), 'suggest-policy-'));
const { files, recorded } = generate();
const evidence = files.map((f, i) => {
  const path = join(dir, `instance-${i}.json`);
  writeFileSync(path, evidenceText(f));
  return path;
});

const CURRENT = `# the policy in force today
credentials: true
allowedHeaders: [content-type, authorization]
origins:
  - https://app.example.com
  - https://legacy.example.com
  - https://dr.example.com  # cors-sentinel: keep
routes:
  - path: /api/*
    credentials: true
    allowedHeaders: [content-type, authorization, x-csrf-token]
    origins:
      - https://app.example.com
      - ${INTEGRATOR}
      - https://old-partner.example.net
`;
const policyPath = join(dir, 'cors.yaml');
writeFileSync(policyPath, CURRENT);

const run = (name: string, extra: Partial<Parameters<typeof suggest>[0]> = {}) =>
  suggest({ evidence, out: join(dir, `${name}.yaml`), policy: policyPath, trust: ['example.com', 'example-store.net'], nowMs: END - 1, ...extra });
const tierOf = (r: ReturnType<typeof suggest>, origin: string) => r.origins.find((o) => o.origin === origin);

describe('suggest --policy', () => {
  const result = run('beside');
  const out = join(dir, 'beside.yaml');

  it('keeps the current policy as it is, comments included, and adds the candidate as reportOnly', () => {
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# the policy in force today\ncredentials: true\n')).toBe(true);
    expect(text).toContain('- https://dr.example.com # cors-sentinel: keep');
    const options = loadPolicyFile(out);
    expect(options.origins).toEqual(['https://app.example.com', 'https://legacy.example.com', 'https://dr.example.com']);
    expect(options.reportOnly?.routes?.map((r) => r.path)).toEqual(['/admin/*', '/api/*', '/public/*']);
  });

  it('the reportOnly candidate grants every legitimate request and no attack', async () => {
    const candidate = compilePolicy(loadPolicyFile(out).reportOnly ?? {});
    const wrong: string[] = [];
    for (const r of recorded) {
      const s = r.shape;
      const d = await decide(candidate, {
        method: s.preflight ? 'OPTIONS' : s.method, path: s.path, origin: s.origin, host: 'api.example.com', hasCookie: s.cookie,
        accessControlRequestMethod: s.preflight ? s.method : undefined, accessControlRequestHeaders: s.preflight && s.headers.length > 0 ? s.headers.join(', ') : undefined,
      });
      const allowed = d.outcome === 'allowed';
      if ((r.kind === 'attack' && allowed) || (r.kind === 'legit' && !allowed)) wrong.push(`${r.kind} ${s.origin} ${s.method} ${s.path}`);
    }
    expect(wrong).toEqual([]);
  });

  it('trusts what the current policy names: the integrator it lists is allowed, not reviewed', () => {
    expect(tierOf(result, INTEGRATOR)).toMatchObject({ decision: 'allow' });
    expect(tierOf(result, INTEGRATOR)?.reasons.join(' ')).toMatch(/allowed by the current policy/);
  });

  it('prints a semantic diff: origins, methods, headers and routes added and removed', () => {
    const diff = result.lines.slice(result.lines.findIndex((l) => l.startsWith('diff against')));
    const text = diff.join('\n');
    expect(text).toMatch(/route \*\n(.*\n)*? {4}- origin https:\/\/legacy\.example\.com/);
    expect(text).toContain('    - origin https://old-partner.example.net');
    expect(text).toContain('    + origin https://*.shops.example.com');
    expect(text).toContain('  route /admin/* (added)');
    expect(text).toContain('    - method PATCH');
    expect(text).toContain('    + header x-report-range');
    const api = result.diff.find((d) => d.route === '/api/*');
    expect(api?.headers.added).toContain('x-invoice-batch');
  });

  it('against `origin: true` (what CORS(app) does) the diff says the route allowed any origin, and nothing is called unused', () => {
    const open = join(dir, 'open.yaml');
    writeFileSync(open, 'origin: true\ndangerouslyReflectAnyOrigin: true\n');
    const r = run('from-open', { policy: open });
    expect(r.lines).toContain('  route * — today it allows ANY origin; the candidate names them');
    expect(r.origins.filter((o) => o.tier === 'unused')).toEqual([]);
    expect(loadPolicyFile(join(dir, 'open.yaml')).reportOnly).toBeUndefined();
    expect(loadPolicyFile(join(dir, 'from-open.yaml')).reportOnly?.routes?.length).toBe(3);
  });

  it('calls a configured origin unused once the window reaches --min-days, and leaves it out', () => {
    expect(tierOf(result, 'https://legacy.example.com')).toMatchObject({ tier: 'unused', decision: 'review', days: 0 });
    expect(result.candidateText).toContain('review  https://legacy.example.com');
    expect(loadPolicyFile(out).reportOnly?.origins).not.toContain('https://legacy.example.com');
  });

  it('refuses to call it unused on a window shorter than --min-days: it is kept', () => {
    const short = run('short', { minDays: 60 });
    expect(short.lines).toContain('--min-days 60: NOT reached (35 recorded days): configured origins not seen are kept, not called unused');
    expect(tierOf(short, 'https://legacy.example.com')).toMatchObject({ tier: 'unused', decision: 'allow' });
    expect(loadPolicyFile(join(dir, 'short.yaml')).reportOnly?.origins).toContain('https://legacy.example.com');
  });

  it('keeps pinned origins: the keep marker in the file, or --keep', () => {
    expect(tierOf(result, 'https://dr.example.com')).toMatchObject({ tier: 'pinned', decision: 'allow' });
    expect(loadPolicyFile(out).reportOnly?.origins).toContain('https://dr.example.com');
    const kept = run('kept', { keep: ['https://LEGACY.example.com'] });
    expect(tierOf(kept, 'https://legacy.example.com')).toMatchObject({ tier: 'pinned', decision: 'allow' });
  });

  it('writes the report: one entry per origin with tier, decision, routes, counts, days, first and last seen, reasons', () => {
    const reportPath = join(dir, 'report.json');
    run('reported', { report: reportPath });
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    const app = report.origins.find((o: { origin: string }) => o.origin === 'https://app.example.com');
    expect(app).toMatchObject({ tier: 'kept-steady', decision: 'allow', routes: ['/api/*'], days: 35, firstSeen: '2026-01-27T09:00:00.000Z' });
    expect(app.counts).toMatchObject({ preflightAllowed: expect.any(Number), actualAllowed: expect.any(Number), credentialedGrants: expect.any(Number) });
    expect(report.completeness).toMatchObject({ windowDays: 35, instances: 2 });
  });
});
