/**
 * Reading a large version 2 file in pieces. JSON.parse of a whole file keeps every record alive until
 * the last one is parsed, so the garbage collector copies and promotes all of them and then frees them
 * (most of `suggest`'s time on millions of records went there). The writers lay a file out as the head
 * on the first line, then one record per line (compact.ts, compactText); this parses runs of lines
 * (CHUNK records) at a time, so each run dies young after it is folded.
 *
 * Nothing here trusts the layout: a file not laid out that way (another writer, a person's edit, version
 * 1) is parsed whole by readEvidence, and a run that does not parse is settled by parsing the whole text
 * (an error if that fails too, else its records not yet visited, so no record is visited twice or missed:
 * the runs visited are complete values, so they are the first records of the whole list).
 */
import { Checker, isObject } from './check';
import { checkRecords, checkTables } from './compact';
import { EVIDENCE_FORMAT, type CompactEvidenceFile } from './format';
import { EvidenceFormatError, readEvidence, type ReadEvidence } from './parse';

const OPEN = ',"entries":[';
/** Records per parse: a few MB of objects, freed by the young generation's cheap collection. */
const CHUNK = 4096;

/** The head of a file laid out as compactText writes it, and where its records start and end; undefined otherwise. */
function layoutOf(text: string): { head: Record<string, unknown>; start: number; end: number } | undefined {
  const firstLine = text.indexOf('\n');
  if (firstLine < 0 || !text.startsWith(OPEN, firstLine - OPEN.length)) return undefined;
  const tail = text.lastIndexOf('\n]}');
  if (tail <= firstLine || text.slice(tail + 3).trim() !== '') return undefined;
  let head: unknown;
  try {
    head = JSON.parse(`${text.slice(0, firstLine - OPEN.length)}}`);
  } catch {
    return undefined;
  }
  if (!isObject(head) || head.format !== EVIDENCE_FORMAT || head.version !== 2) return undefined;
  return { head, start: firstLine + 1, end: tail };
}

/**
 * Calls `visit` with the evidence in `text`, validated, as one or more pieces that together are the file:
 * the first carries its head (instances, days, dropped), the others an empty one and the same tables.
 * Throws EvidenceFormatError (after visiting the pieces before the problem: a caller folding them drops
 * its result) for a file readEvidence refuses. `chunk`: records per piece (tests make it small).
 */
export function readEvidenceChunks(text: string, visit: (piece: ReadEvidence) => void, chunk = CHUNK): void {
  const layout = layoutOf(text);
  if (layout === undefined) {
    visit(readEvidence(text));
    return;
  }
  const { head } = layout;
  const c = new Checker();
  c.head(head);
  checkTables(c, head);
  if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
  const piece = (entries: unknown[], first: boolean): CompactEvidenceFile => ({
    ...(head as unknown as CompactEvidenceFile), entries: entries as CompactEvidenceFile['entries'],
    ...(first ? {} : { instances: {}, days: [], dropped: { requests: 0, pairs: 0 } }),
  });
  let visited = 0;
  let at = layout.start;
  while (at < layout.end) {
    const stop = chunkEnd(text, at, layout.end, chunk);
    let entries: unknown;
    try {
      entries = JSON.parse(`[${text.slice(at, text.charCodeAt(stop - 1) === 0x2c ? stop - 1 : stop)}]`);
    } catch {
      entries = undefined;
    }
    if (!Array.isArray(entries) || entries.length === 0) {
      // Not one record per line after all: the whole text decides (it throws for a file that is not JSON).
      const whole = readEvidence(text);
      if (whole.version === 2) visit({ version: 2, file: { ...whole.file, entries: whole.file.entries.slice(visited), ...(visited === 0 ? {} : { instances: {}, days: [], dropped: { requests: 0, pairs: 0 } }) } });
      return;
    }
    checkRecords(c, entries, head, visited);
    if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
    visit({ version: 2, file: piece(entries, visited === 0) });
    visited += entries.length;
    at = stop + 1;
  }
  if (visited === 0) visit({ version: 2, file: piece([], true) });
}

/** The end of the run of up to `chunk` lines from `at`, at a line that ends with a comma (or at `end`). */
function chunkEnd(text: string, at: number, end: number, chunk: number): number {
  let stop = at;
  for (let lines = 0; lines < chunk; ) {
    const next = text.indexOf('\n', stop + 1);
    if (next < 0 || next >= end) return end;
    stop = next;
    if (text.charCodeAt(stop - 1) === 0x2c) lines++;
  }
  return stop;
}
