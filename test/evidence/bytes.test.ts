/**
 * Reading version 2 records from the bytes (readEvidenceBytes, scan.ts) against reading them with
 * JSON.parse (readEvidenceChunks): the same records, once each, for a file the writers wrote and for
 * files changed by hand or damaged anywhere; the same refusal, word for word, for every bad one.
 */
import { readEvidenceBytes, readEvidenceChunks } from '../../packages/cors-sentinel/src/evidence/chunks';
import { expandCompact } from '../../packages/cors-sentinel/src/evidence/compact';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { emptyEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import type { ReadEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import type { ScannedRecord, ScannedTally } from '../../packages/cors-sentinel/src/evidence/scan';
import type { CompactEntry, CompactEvidenceFile, EvidenceEntry, EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';

const T0 = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

function entry(i: number): EvidenceEntry {
  return {
    route: ['*', '/api/*', '/é/*'][i % 3] as string, origin: i % 97 === 96 ? `https://t${i}.exämple.com` : `https://t${i}.example.com`,
    firstSeen: T0 + i, lastSeen: T0 + i + (i % 5) * DAY, days: ['2026-11-01', ...(i % 5 > 0 ? [new Date(T0 + (i % 5) * DAY).toISOString().slice(0, 10)] : [])],
    preflight: { allowed: i % 2, rejected: 0 }, actual: { allowed: i % 7, rejected: i % 3 }, methods: i % 2 ? { GET: 1, PUT: 2 } : { GET: 3 },
    headers: i % 4 ? {} : { 'content-type': 1 }, credentialedGrants: i % 2, secFetchSite: { 'cross-site': 1, ...(i % 3 ? { none: 2 } : {}) }, instances: ['a:1', ...(i % 3 ? ['b:2'] : [])],
  };
}

const file: EvidenceFile = {
  ...emptyEvidence(), instances: { 'a:1': { firstSeen: T0, lastSeen: T0 + 5 * DAY }, 'b:2': { firstSeen: T0, lastSeen: T0 + DAY } },
  days: ['2026-11-01', '2026-11-02'], entries: Array.from({ length: 300 }, (_, i) => entry(i)), dropped: { requests: 3, pairs: 1 },
};

const tallyOf = (t: ScannedTally): number[] => Array.from({ length: t.size }, (_, k): number[] => [t.names[k] as number, t.counts[k] as number]).flat();

/** A scanned record as the CompactEntry it was read from (its tables translated to themselves). */
function compactOf(r: ScannedRecord, bytes: Buffer): CompactEntry {
  const abs = Array.from(r.days.subarray(0, r.dayCount));
  const days = abs.map((d, i) => (i === 0 ? d : d - (abs[i - 1] as number)));
  return [
    r.route, bytes.toString('latin1', r.originStart, r.originEnd), r.firstSeen, r.lastSeen - r.firstSeen, days,
    r.preflightAllowed, r.preflightRejected, r.actualAllowed, r.actualRejected, r.credentialedGrants,
    tallyOf(r.methods), tallyOf(r.headers), tallyOf(r.secFetchSite), Array.from(r.instances.subarray(0, r.instanceCount)),
  ];
}

type Outcome = { error: string } | { file: EvidenceFile; scanned: number };

/** Every piece expanded and put back together, or the error; `scanned`: records the byte reader read. */
function assemble(read: (visit: (p: ReadEvidence) => void, scanned: (e: CompactEntry, head: CompactEvidenceFile) => void) => void): Outcome {
  const parts: EvidenceFile[] = [];
  let scanned = 0;
  try {
    read(
      (p) => parts.push(p.version === 2 ? expandCompact(p.file) : p.file),
      (e, head) => {
        scanned++;
        parts.push(expandCompact({ ...head, instances: {}, days: [], dropped: { requests: 0, pairs: 0 }, entries: [e] }));
      },
    );
  } catch (err) {
    return { error: (err as Error).message };
  }
  const first = parts[0] as EvidenceFile;
  return { file: { ...first, instances: parts.reduce((a, p) => ({ ...a, ...p.instances }), {}), days: parts.flatMap((p) => p.days), dropped: parts.find((p) => p.dropped.requests + p.dropped.pairs > 0)?.dropped ?? first.dropped, entries: parts.flatMap((p) => p.entries) }, scanned };
}

const byChunks = (text: string, chunk: number): Outcome => assemble((visit) => readEvidenceChunks(text, visit, chunk));

function byBytes(text: string, chunk: number): Outcome {
  const bytes = Buffer.from(text, 'utf8');
  return assemble((visit, scanned) => {
    let head: CompactEvidenceFile | undefined;
    readEvidenceBytes(bytes, {
      tables: (h) => {
        head = h;
        visit({ version: 2, file: h });
        return { routes: Int32Array.from(h.routes, (_, i) => i), names: Int32Array.from(h.names, (_, i) => i) };
      },
      record: (r) => scanned(compactOf(r, bytes), head as CompactEvidenceFile),
      piece: visit,
    }, chunk);
  });
}

const without = (o: Outcome): unknown => ('error' in o ? o : o.file);

describe('reading records from the bytes', () => {
  const text = evidenceText(file);
  const lines = text.split('\n');

  it('reads every record of a file the writers wrote from the bytes, as JSON.parse reads it', () => {
    const bytes = byBytes(text, 64);
    // Up to the first origin with a non-ASCII letter (record 96; a browser's Origin is ASCII): the rest is read with JSON.parse.
    expect(bytes).toMatchObject({ scanned: 96 });
    expect(without(bytes)).toEqual(without(byChunks(text, 64)));
    expect(without(bytes)).toEqual(file);
  });

  it('hands records written otherwise to JSON.parse from where it stops, reading each record once', () => {
    const edits: Array<(l: string) => string> = [
      (l) => l.replace(',', ', '), (l) => l.replace(/^\[(\d+),"[^"]*",(\d+)/, (m, a, b) => m.replace(`,${b}`, `,${b}.0`)), (l) => l.replace('https', 'http\\u0073'),
      (l) => l.replace(/,\[\],/, ',[ ],'), (l) => `${l}`.replace(/^\[/, '[\n'), (l) => l.replace(/,(\d)\]$/, ',$1e0]'),
    ];
    for (const [k, edit] of edits.entries()) {
      for (const at of [1, 2, 100, 130, 300]) {
        const changed = lines.map((l, i) => (i === at ? edit(l) : l)).join('\n');
        const bytes = byBytes(changed, 64);
        expect([k, at, without(bytes)]).toEqual([k, at, without(byChunks(changed, 64))]);
      }
    }
  });

  it('refuses a damaged file with the JSON reader\'s words, wherever the damage is', () => {
    let seed = 7;
    const random = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const bytes = [...'0123456789,[]"-.e x\\{}'];
    const start = (lines[0] as string).length + 1;
    for (let round = 0; round < 150; round++) {
      const at = start + random(text.length - start - 4);
      const damaged = `${text.slice(0, at)}${round % 3 === 0 ? '' : (bytes[random(bytes.length)] as string)}${text.slice(at + 1)}`;
      expect([round, without(byBytes(damaged, 16))]).toEqual([round, without(byChunks(damaged, 16))]);
    }
  });

  it('reads a file without records, and one laid out otherwise, as JSON.parse does', () => {
    for (const t of [evidenceText(emptyEvidence()), JSON.stringify(JSON.parse(text), null, 1), JSON.stringify({ ...file, version: 1 }), `${text.slice(0, -4)},\n]}\n`]) {
      expect(without(byBytes(t, 64))).toEqual(without(byChunks(t, 64)));
    }
  });
});
