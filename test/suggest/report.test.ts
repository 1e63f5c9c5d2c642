/**
 * The `--report` file: writeReport serialises the origins a piece at a time, and must write exactly
 * the bytes of the report as one JSON text (reportJson), whatever the number of origins and whatever
 * names the evidence holds.
 */
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import type { EvidenceEntry, EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';
import type { Classified } from '../../packages/cli/src/suggest/classify';
import { suggest } from '../../packages/cli/src/suggest/cli';
import { ORIGINS_PER_PIECE, reportJson, writeReport, type SuggestReport } from '../../packages/cli/src/suggest/report';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);
const dir = mkdtempSync(join(tmpdir(), 'suggest-report-'));

function origin(i: number): Classified {
  return {
    origin: `https://t${i}.example.com`, tier: 'new', decision: 'review', routes: ['/api/*'], days: 1, firstSeen: new Date(T0).toISOString(), lastSeen: undefined,
    counts: { preflightAllowed: i, preflightRejected: 0, actualAllowed: 1, actualRejected: 0, credentialedGrants: 0, secFetchSite: i % 2 === 0 ? {} : { 'cross-site': i } },
    reasons: i % 3 === 0 ? [] : ['a "quoted" reason\nover two lines', 'ünïcode ≥ 2'], ...(i % 5 === 0 ? { coveredBy: 'https://*.example.com' } : {}),
  };
}

function report(origins: Classified[]): SuggestReport {
  return { generatedAt: new Date(T0).toISOString(), completeness: { from: undefined } as unknown as SuggestReport['completeness'], wildcards: [], notes: ['a note'], diff: [], origins };
}

describe('writeReport', () => {
  it.each([0, 1, ORIGINS_PER_PIECE, 2 * ORIGINS_PER_PIECE + 1])('writes the bytes of reportJson for %i origin(s)', (count) => {
    const r = report(Array.from({ length: count }, (_, i) => origin(i)));
    const path = join(dir, `r${count}.json`);
    writeReport(path, r);
    expect(readFileSync(path, 'utf8')).toBe(reportJson(r));
  });

  it('a run over evidence with Sec-Fetch-Site values named like Object properties reports their sums per origin, in the order first met', () => {
    const entry = (route: string, secFetchSite: Record<string, number>): EvidenceEntry => ({
      route, origin: 'https://app.example.com', firstSeen: T0, lastSeen: T0 + 1000, days: [new Date(T0).toISOString().slice(0, 10)],
      preflight: { allowed: 0, rejected: 0 }, actual: { allowed: 1, rejected: 0 }, methods: { GET: 1 }, headers: {}, credentialedGrants: 0, secFetchSite, instances: ['a:1'],
    });
    // JSON.parse makes `__proto__` an own key, as a client's value read from a file is.
    const odd = JSON.parse('{"toString": 2, "__proto__": 3, "same-site": 1}') as Record<string, number>;
    const file: EvidenceFile = { ...emptyEvidence(), instances: { 'a:1': { firstSeen: T0, lastSeen: T0 + DAY } }, days: [new Date(T0).toISOString().slice(0, 10)], entries: [entry('/a/*', { 'same-site': 4 }), entry('/b/*', odd)] };
    const path = join(dir, 'odd.json');
    writeFileSync(path, evidenceText(file));
    const r = suggest({ evidence: [path], out: join(dir, 'odd.yaml'), report: join(dir, 'odd-report.json'), trust: ['example.com'], nowMs: T0 + DAY });
    const counts = r.origins[0]?.counts.secFetchSite ?? {};
    expect(Object.entries(counts)).toEqual([['same-site', 5], ['toString', 2], ['__proto__', 3]]);
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    const { generatedAt, completeness, wildcards, notes, diff, origins } = r;
    expect(readFileSync(join(dir, 'odd-report.json'), 'utf8')).toBe(reportJson({ generatedAt, completeness, wildcards, notes, diff, origins }));
  });
});
