/**
 * Reading a large version 2 file in pieces. JSON.parse of a whole file keeps every record alive until
 * the last one is parsed, so the garbage collector copies and promotes all of them and then frees them
 * (most of `suggest`'s time on millions of records went there). The writers lay a file out as the head
 * on the first line, then one record per line (compact.ts, compactText); this parses runs of lines
 * (CHUNK records) at a time, so each run dies young after it is folded. readEvidenceBytes goes further:
 * it reads records in the writers' exact shape from the bytes (scan.ts) and hands the rest of a file,
 * from the first record it does not read, to the runs of JSON.parse here.
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
import { scanRecords, type ScannedRecord } from './scan';

const OPEN = ',"entries":[';
/** Records per parse: a few MB of objects, freed by the young generation's cheap collection. */
const CHUNK = 4096;

interface Layout {
  readonly head: Record<string, unknown>;
  /** Where the records start (the line after the head's) and end (the `\n` of the closing `\n]}`). */
  readonly start: number;
  readonly end: number;
}

/** The layout of a file written as compactText writes it, given its first line and what follows the closing `\n]}`; undefined otherwise. */
function layoutFrom(firstLine: string, trailer: string, start: number, end: number): Layout | undefined {
  if (!firstLine.endsWith(OPEN) || trailer.trim() !== '') return undefined;
  let head: unknown;
  try {
    head = JSON.parse(`${firstLine.slice(0, -OPEN.length)}}`);
  } catch {
    return undefined;
  }
  if (!isObject(head) || head.format !== EVIDENCE_FORMAT || head.version !== 2) return undefined;
  return { head, start, end };
}

function layoutOf(text: string): Layout | undefined {
  const firstLine = text.indexOf('\n');
  const tail = text.lastIndexOf('\n]}');
  if (firstLine < 0 || tail <= firstLine) return undefined;
  return layoutFrom(text.slice(0, firstLine), text.slice(tail + 3), firstLine + 1, tail);
}

/** The same as layoutOf(bytes.toString()), with offsets in bytes, decoding only the head's line and the trailer. */
function layoutOfBytes(bytes: Buffer): Layout | undefined {
  const firstLine = bytes.indexOf(0x0a);
  const tail = bytes.lastIndexOf('\n]}');
  if (firstLine < 0 || tail <= firstLine) return undefined;
  return layoutFrom(bytes.toString('utf8', 0, firstLine), bytes.toString('utf8', tail + 3), firstLine + 1, tail);
}

/** A checker that has checked the head and tables of a laid-out file (throws for a bad one). */
function checkedHead(head: Record<string, unknown>): Checker {
  const c = new Checker();
  c.head(head);
  checkTables(c, head);
  if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
  return c;
}

/** The head of a piece after the first: the file's head is visited once. */
const noHead = (): Pick<CompactEvidenceFile, 'instances' | 'days' | 'dropped'> => ({ instances: {}, days: [], dropped: { requests: 0, pairs: 0 } });

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
  readRuns(text, layout, checkedHead(layout.head), visit, chunk, { at: layout.start, visited: 0, skip: 0, headVisited: false });
}

/** Where readRuns starts: at record number `visited` (offset `at`), visiting records from number `skip` on. */
interface Resume {
  readonly at: number;
  readonly visited: number;
  readonly skip: number;
  readonly headVisited: boolean;
}

function readRuns(text: string, layout: Layout, c: Checker, visit: (piece: ReadEvidence) => void, chunk: number, from: Resume): void {
  const head = layout.head as unknown as CompactEvidenceFile;
  let headVisited = from.headVisited;
  const piece = (entries: unknown[]): ReadEvidence => {
    const file: CompactEvidenceFile = { ...head, entries: entries as CompactEvidenceFile['entries'], ...(headVisited ? noHead() : {}) };
    headVisited = true;
    return { version: 2, file };
  };
  let visited = from.visited;
  let at = from.at;
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
      if (whole.version === 2) visit(piece(whole.file.entries.slice(Math.max(visited, from.skip))));
      return;
    }
    checkRecords(c, entries, head as unknown as Record<string, unknown>, visited);
    if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
    const fresh = visited >= from.skip ? entries : entries.slice(from.skip - visited);
    visited += entries.length;
    at = stop + 1;
    if (fresh.length > 0 || !headVisited) visit(piece(fresh));
  }
  if (!headVisited) visit(piece([]));
}

/** What readEvidenceBytes hands its reader. */
export interface EvidenceBytesReader {
  /**
   * The head and tables of a file laid out as the writers write it (validated; `entries` empty), before
   * its records. Returns what its route and name indices translate to in the records given to `record`.
   */
  tables(head: CompactEvidenceFile): { routes: Int32Array; names: Int32Array };
  /** One record read from the bytes (scan.ts), reused: valid only during the call. */
  record(r: ScannedRecord): void;
  /** Evidence read with JSON.parse: a file laid out otherwise, or a file's records from the first one the byte reader did not read. */
  piece(p: ReadEvidence): void;
}

/**
 * The evidence in `bytes` (a file's content), validated, each record once: through `record` as far as
 * the byte reader reads (all of a file the writers wrote), the rest through `piece` exactly as
 * readEvidenceChunks gives it, so a bad record is refused with the same message. Throws
 * EvidenceFormatError after visiting what came before the problem, as readEvidenceChunks does.
 */
export function readEvidenceBytes(bytes: Buffer, reader: EvidenceBytesReader, chunk = CHUNK): void {
  const layout = layoutOfBytes(bytes);
  if (layout === undefined) {
    readEvidenceChunks(bytes.toString('utf8'), (p) => reader.piece(p), chunk);
    return;
  }
  checkedHead(layout.head);
  const { routes, names } = reader.tables({ ...(layout.head as unknown as CompactEvidenceFile), entries: [] });
  const stop = scanRecords(bytes, layout.start, layout.end, routes, names, chunk, (r) => reader.record(r));
  if (stop.at >= layout.end) return;
  // The JSON reader takes over at the start of the run (of `chunk` records) holding the first record not
  // read, as readEvidenceChunks would parse it, and visits from that record on. The records before it
  // are ASCII, so a byte offset among them is the head's length in characters plus the bytes after it.
  const text = bytes.toString('utf8');
  const textLayout = layoutOf(text) as Layout;
  const at = textLayout.start + (stop.chunkAt - layout.start);
  readRuns(text, textLayout, checkedHead(textLayout.head), (p) => reader.piece(p), chunk, { at, visited: stop.chunkRecords, skip: stop.records, headVisited: true });
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
