import { emptyEvidence, mergeEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { EvidenceFormatError, parseEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import type { EvidenceEntry, EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

function entry(over: Partial<EvidenceEntry> = {}): EvidenceEntry {
  return {
    route: '/api/*', origin: 'https://app.example.com', firstSeen: T0, lastSeen: T0, days: ['2026-11-01'],
    preflight: { allowed: 1, rejected: 0 }, actual: { allowed: 2, rejected: 0 }, methods: { PUT: 1, GET: 2 },
    headers: { 'content-type': 1 }, credentialedGrants: 3, secFetchSite: { 'cross-site': 3 }, instances: ['a:1'], ...over,
  };
}

function file(entries: EvidenceEntry[], instance: string, from: number, to: number): EvidenceFile {
  return { ...emptyEvidence(), instances: { [instance]: { firstSeen: from, lastSeen: to } }, days: [...new Set(entries.flatMap((e) => e.days))].sort(), entries, dropped: { requests: 1, pairs: 1 } };
}

describe('evidence files merge across instances and restarts', () => {
  it('sums the counts of one (route, origin), unites its days and instances and widens its span', () => {
    const a = file([entry()], 'a:1', T0, T0);
    const b = file([entry({ firstSeen: T0 + DAY, lastSeen: T0 + 2 * DAY, days: ['2026-11-03', '2026-11-02'].sort(), instances: ['b:2'], methods: { GET: 5 }, headers: {}, secFetchSite: { absent: 1 } })], 'b:2', T0 + DAY, T0 + 2 * DAY);
    const merged = mergeEvidence([a, b]);
    expect(merged.entries).toHaveLength(1);
    expect(merged.entries[0]).toMatchObject({
      firstSeen: T0, lastSeen: T0 + 2 * DAY, days: ['2026-11-01', '2026-11-02', '2026-11-03'], preflight: { allowed: 2, rejected: 0 },
      actual: { allowed: 4, rejected: 0 }, methods: { PUT: 1, GET: 7 }, headers: { 'content-type': 1 }, credentialedGrants: 6,
      secFetchSite: { 'cross-site': 3, absent: 1 }, instances: ['a:1', 'b:2'],
    });
    expect(Object.keys(merged.instances)).toEqual(['a:1', 'b:2']);
    expect(merged.days).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(merged.dropped).toEqual({ requests: 2, pairs: 2 });
  });

  it('keeps different routes and origins apart', () => {
    const merged = mergeEvidence([file([entry(), entry({ route: '*' }), entry({ origin: 'null' })], 'a:1', T0, T0)]);
    expect(merged.entries.map((e) => `${e.route} ${e.origin}`).sort()).toEqual(['* https://app.example.com', '/api/* https://app.example.com', '/api/* null']);
  });

  it('reads back what it writes', () => {
    const f = mergeEvidence([file([entry()], 'a:1', T0, T0)]);
    expect(parseEvidence(evidenceText(f))).toEqual(f);
  });

  it('reads version 1 (entries as objects) as the same evidence as version 2', () => {
    const f = mergeEvidence([file([entry(), entry({ route: '*', days: ['2026-11-03', '2026-11-01'] })], 'a:1', T0, T0)]);
    const v1 = parseEvidence(JSON.stringify({ ...f, version: 1 }));
    expect(v1.entries[1]?.days).toEqual(['2026-11-01', '2026-11-03']);
    expect(parseEvidence(evidenceText(v1))).toEqual(v1);
  });
});

describe('a file that is not evidence is refused, never read as "nothing seen"', () => {
  it.each([
    ['not JSON', '{', /not JSON/],
    ['another JSON document', '{"origins": []}', /format: must be "cors-sentinel-evidence"/],
    ['a newer version', JSON.stringify({ ...emptyEvidence(), version: 3 }), /version: 3 is not supported/],
    ['bad counts, days and routes, all named', JSON.stringify({ ...emptyEvidence(), version: 1, days: ['yesterday'], entries: [{ ...entry(), route: '', preflight: { allowed: -1, rejected: 0 } }] }),
      /days: must be a list of UTC days[^]*entries\[0\]\.route: must be a non-empty string[^]*entries\[0\]\.preflight\.allowed/],
  ])('%s', (_name, text, message) => {
    expect(() => parseEvidence(text)).toThrow(EvidenceFormatError);
    expect(() => parseEvidence(text)).toThrow(message);
  });
});
