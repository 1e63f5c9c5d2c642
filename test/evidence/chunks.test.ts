/**
 * Reading a version 2 file a few thousand records at a time (readEvidenceChunks): the pieces together
 * are exactly the file, whatever its layout, and a bad record anywhere fails the file with its path.
 */
import { readEvidenceChunks } from '../../packages/cors-sentinel/src/evidence/chunks';
import { expandCompact } from '../../packages/cors-sentinel/src/evidence/compact';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import { emptyEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import { EvidenceFormatError, parseEvidence, type ReadEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import type { EvidenceEntry, EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';

const T0 = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;

function entry(i: number): EvidenceEntry {
  return {
    route: ['*', '/api/*', '/admin/*'][i % 3] as string, origin: `https://t${i}.example.com`, firstSeen: T0 + i, lastSeen: T0 + i + (i % 5) * DAY,
    days: ['2026-11-01', ...(i % 5 > 0 ? [new Date(T0 + (i % 5) * DAY).toISOString().slice(0, 10)] : [])],
    preflight: { allowed: i % 2, rejected: 0 }, actual: { allowed: i % 7, rejected: i % 3 }, methods: i % 2 ? { GET: 1, PUT: 2 } : { GET: 3 },
    headers: i % 4 ? {} : { 'content-type': 1 }, credentialedGrants: i % 2, secFetchSite: { 'cross-site': 1 }, instances: ['a:1', ...(i % 3 ? ['b:2'] : [])],
  };
}

const file: EvidenceFile = {
  ...emptyEvidence(), instances: { 'a:1': { firstSeen: T0, lastSeen: T0 + 5 * DAY }, 'b:2': { firstSeen: T0, lastSeen: T0 + DAY } },
  days: ['2026-11-01', '2026-11-02'], entries: Array.from({ length: 1000 }, (_, i) => entry(i)), dropped: { requests: 3, pairs: 1 },
};

/** The pieces `readEvidenceChunks` gives, expanded and put back together. */
function reassembled(text: string): { pieces: number; file: EvidenceFile } {
  const pieces: ReadEvidence[] = [];
  readEvidenceChunks(text, (p) => pieces.push(p), 64);
  const parts = pieces.map((p) => (p.version === 2 ? expandCompact(p.file) : p.file));
  const first = parts[0] as EvidenceFile;
  for (const later of parts.slice(1)) expect(later).toMatchObject({ instances: {}, days: [], dropped: { requests: 0, pairs: 0 } });
  return { pieces: pieces.length, file: { ...first, entries: parts.flatMap((p) => p.entries) } };
}

describe('reading evidence in pieces', () => {
  const text = evidenceText(file);

  it('gives the whole file, in several pieces, once', () => {
    const { pieces, file: back } = reassembled(text);
    expect(pieces).toBeGreaterThan(1);
    expect(back).toEqual(parseEvidence(text));
    expect(back).toEqual(file);
  });

  it('gives the same file when a record spans lines (a layout our writers do not make)', () => {
    const lines = text.split('\n');
    lines[640] = (lines[640] as string).replace(',', ',\n'); // record 639 split where the tenth piece ends: that piece does not parse
    const { file: back } = reassembled(lines.join('\n'));
    expect(back).toEqual(file);
  });

  it('reads a file laid out otherwise (pretty-printed, version 1) whole', () => {
    expect(reassembled(JSON.stringify(JSON.parse(text), null, 2))).toEqual({ pieces: 1, file });
    expect(reassembled(JSON.stringify({ ...file, version: 1 }))).toEqual({ pieces: 1, file });
  });

  it('fails a file with a bad record in a later piece, naming it', () => {
    const lines = text.split('\n');
    lines[901] = (lines[901] as string).replace(/^\[\d+,/, '[99,'); // no route 99
    expect(() => readEvidenceChunks(lines.join('\n'), () => undefined, 64)).toThrow(EvidenceFormatError);
    expect(() => readEvidenceChunks(lines.join('\n'), () => undefined, 64)).toThrow('entries[900][0]: route: must index routes');
    expect(() => readEvidenceChunks(`${text.slice(0, -10)}\n]}`, () => undefined, 64)).toThrow(/not JSON/);
  });
});
