/**
 * The rules of `suggest` one by one: completeness (gaps, dropped, a stale window), wildcards (narrowest
 * parent, never a public suffix, never over a suspect), attack shapes, and Sec-Fetch-Site as trust.
 */
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import type { EvidenceEntry, EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import { suggest } from '../../packages/cli/src/suggest/cli';
import { withinEdits } from '../../packages/cli/src/suggest/suspect';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);
const dir = mkdtempSync(join(tmpdir(), 'suggest-rules-'));
const day = (n: number): string => new Date(T0 + n * DAY).toISOString().slice(0, 10);

function entry(origin: string, days: number[], over: Partial<EvidenceEntry> = {}): EvidenceEntry {
  return {
    route: '/api/*', origin, firstSeen: T0 + (days[0] ?? 0) * DAY + 3_600_000, lastSeen: T0 + (days[days.length - 1] ?? 0) * DAY + 7_200_000, days: days.map(day),
    preflight: { allowed: 0, rejected: 0 }, actual: { allowed: days.length, rejected: 0 }, methods: { GET: days.length }, headers: {},
    credentialedGrants: 0, secFetchSite: { 'cross-site': days.length }, instances: ['a:1'], ...over,
  };
}

let n = 0;
function run(entries: EvidenceEntry[], extra: { days?: string[]; dropped?: EvidenceFile['dropped']; trust?: string[]; nowDays?: number } = {}) {
  const file: EvidenceFile = { ...emptyEvidence(), instances: { 'a:1': { firstSeen: T0, lastSeen: T0 + 30 * DAY } }, days: extra.days ?? Array.from({ length: 31 }, (_, i) => day(i)), entries, dropped: extra.dropped ?? { requests: 0, pairs: 0 } };
  const path = join(dir, `e${++n}.json`);
  writeFileSync(path, evidenceText(file));
  return suggest({ evidence: [path], out: join(dir, `c${n}.yaml`), trust: extra.trust ?? ['example.com'], nowMs: T0 + (extra.nowDays ?? 30) * DAY + 1000 });
}
const everyDay = Array.from({ length: 31 }, (_, i) => i);

describe('completeness', () => {
  it('counts gap days inside the window and the days after the last evidence up to --now, and reports what was dropped', () => {
    const days = everyDay.filter((d) => d < 10 || d > 14).map(day);
    const r = run([entry('https://app.example.com', [0, 20])], { days, dropped: { requests: 120, pairs: 7 }, nowDays: 33 });
    expect(r.completeness).toMatchObject({ windowDays: 34, recordedDays: 26, gapDays: [day(10), day(11), day(12), day(13), day(14), day(31), day(32), day(33)], dropped: { requests: 120, pairs: 7 } });
    expect(r.lines[1]).toBe(`window: ${day(0)} .. ${day(33)} (34 day(s), 26 recorded); 8 gap day(s) with nothing recorded: ${day(10)}..${day(14)}, ${day(31)}..${day(33)}`);
    expect(r.lines[2]).toMatch(/^DROPPED by the bounded ledgers: 120 request\(s\) of 7/);
  });

  it('an empty evidence file says so and writes a candidate that allows nothing', () => {
    const r = run([], { days: [] });
    expect(r.lines[0]).toBe('evidence: empty (no day recorded): nothing can be suggested from it');
    expect(loadPolicyFile(join(dir, `c${n}.yaml`)).origins).toEqual(['https://no-origin-was-observed.invalid']);
  });
});

describe('wildcards', () => {
  const tenants = (parent: string, count: number, scheme = 'https') => Array.from({ length: count }, (_, i) => entry(`${scheme}://t${i}.${parent}`, everyDay));

  it('the narrowest parent of 10 or more siblings; 9 stay exact', () => {
    const r = run([...tenants('eu.shops.example.com', 10), ...tenants('us.shops.example.com', 9)]);
    expect(r.wildcards.map((w) => w.pattern)).toEqual(['https://*.eu.shops.example.com']);
    const origins = loadPolicyFile(join(dir, `c${n}.yaml`)).routes?.[0]?.origins;
    expect(origins).toContain('https://t0.us.shops.example.com');
    expect(origins).not.toContain('https://t0.eu.shops.example.com');
  });

  it('never a public suffix, even when it is trusted traffic', () => {
    const r = run(tenants('github.io', 12), { trust: [] });
    expect(r.wildcards).toEqual([]);
    const sameSite = tenants('github.io', 12).map((e) => ({ ...e, secFetchSite: { 'same-site': 31 } }));
    const r2 = run(sameSite, { trust: [] });
    expect(r2.wildcards).toEqual([]);
    expect(r2.notes.join(' ')).toMatch(/github\.io is a public suffix/);
  });

  it('never over a suspect origin seen under the parent', () => {
    const r = run([...tenants('shops.example.com', 12), entry('https://cors-probe.shops.example.com', [4])]);
    expect(r.wildcards).toEqual([]);
    expect(r.notes.join(' ')).toMatch(/would also grant https:\/\/cors-probe\.shops\.example\.com, classified suspect/);
  });
});

describe('routes', () => {
  it('a route the policy format cannot name is left out with a note; case twins are one route', () => {
    const r = run([
      entry('https://app.example.com', everyDay, { methods: { PUT: 1 } }), entry('https://m.example.com', everyDay, { route: '/API/*', methods: { DELETE: 1 } }),
      entry('https://app.example.com', everyDay, { route: '/a:b/*' }),
    ]);
    expect(loadPolicyFile(join(dir, `c${n}.yaml`)).routes).toEqual([expect.objectContaining({ path: '/API/*', origins: ['https://app.example.com', 'https://m.example.com'], methods: ['DELETE', 'PUT'] })]);
    expect(r.notes).toEqual(['route "/a:b/*" (1 allowed origin(s)) is left out: not a path pattern a policy can name; its paths fall to the default route']);
  });
});

describe('tiers', () => {
  it('Sec-Fetch-Site: same-site on every request is trust; cross-site origins outside --trust are reviewed', () => {
    const r = run([entry('https://www.other-brand.com', everyDay, { secFetchSite: { 'same-site': 31 } }), entry('https://partner.net', everyDay)], { trust: [] });
    expect(r.origins.map((o) => [o.origin, o.decision])).toEqual([['https://partner.net', 'review'], ['https://www.other-brand.com', 'allow']]);
  });

  it('an origin only ever rejected by the policy in force is suspect; plain http without credentials is reviewed', () => {
    const rejected = entry('https://old.example.com', everyDay, { actual: { allowed: 0, rejected: 31 } });
    const r = run([rejected, entry('http://intranet.example.com', everyDay)]);
    expect(r.origins.find((o) => o.origin === 'https://old.example.com')).toMatchObject({ tier: 'suspect', decision: 'deny' });
    expect(r.origins.find((o) => o.origin === 'http://intranet.example.com')).toMatchObject({ tier: 'kept-steady', decision: 'review' });
  });

  it('two sightings a few days apart are still new; 7 days apart, recurring', () => {
    const r = run([entry('https://a.example.com', [3, 5]), entry('https://b.example.com', [3, 10])]);
    expect(r.origins.map((o) => [o.origin, o.tier, o.decision])).toEqual([['https://a.example.com', 'new', 'review'], ['https://b.example.com', 'kept-recurring', 'allow']]);
  });

  it('look-alikes are measured in character edits', () => {
    expect([withinEdits('exarnple.com', 'example.com', 2), withinEdits('example.org', 'example.com', 2), withinEdits('xample.com', 'example.com', 2)]).toEqual([true, false, true]);
  });
});
