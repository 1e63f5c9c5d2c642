/**
 * Reading version 2 records straight from the file's bytes, without JSON.parse and without making an
 * object, an array or a string per record: `suggest` reads millions of them, and JSON.parse of the
 * records (an array and a string each, then the garbage collector) was most of its time.
 *
 * This reads only the exact shape the writers write (compact.ts, compactText: `JSON.stringify` of a
 * record on its own line, `,` and a newline between records): no spaces, integers without sign,
 * fraction or exponent (at most 15 digits), origins of printable ASCII without escapes. It checks
 * everything checkRecord (compact.ts) checks, so it accepts a subset of what the JSON reader accepts
 * and reads it to the same values. At the first byte it does not expect it stops, and the caller
 * (chunks.ts, readEvidenceBytes) reads the rest with JSON.parse and checkRecord, which refuse a bad
 * record with its path or read a valid record written otherwise: the messages are theirs.
 */
import { LAST_DAY } from './compact';

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const QUOTE = 0x22;
const NEWLINE = 0x0a;

/** `[name, count, …]` of one record: names already translated, in the order written. */
export class ScannedTally {
  names: Int32Array = new Int32Array(16);
  counts: Float64Array = new Float64Array(16);
  size = 0;
  push(name: number, count: number): void {
    if (this.size === this.names.length) {
      this.names = grownInt(this.names);
      const counts = new Float64Array(this.counts.length * 2);
      counts.set(this.counts);
      this.counts = counts;
    }
    this.names[this.size] = name;
    this.counts[this.size++] = count;
  }
}

function grownInt(a: Int32Array): Int32Array {
  const out = new Int32Array(a.length * 2);
  out.set(a);
  return out;
}

/**
 * One record as read (format.ts, CompactEntry), reused from record to record: valid only while it is
 * visited. Route and name indices are translated through the tables the reader was given.
 */
export class ScannedRecord {
  route = 0;
  /** The origin is `bytes[originStart, originEnd)`: printable ASCII, so its bytes are its characters. */
  originStart = 0;
  originEnd = 0;
  /** FNV-1a (32 bits) of the origin's bytes, for a table that interns origins without making strings. */
  originHash = 0;
  firstSeen = 0;
  lastSeen = 0;
  /** Epoch days, ascending (the file's distances already added up). */
  days: Int32Array = new Int32Array(64);
  dayCount = 0;
  preflightAllowed = 0;
  preflightRejected = 0;
  actualAllowed = 0;
  actualRejected = 0;
  credentialedGrants = 0;
  readonly methods = new ScannedTally();
  readonly headers = new ScannedTally();
  readonly secFetchSite = new ScannedTally();
  instances: Int32Array = new Int32Array(16);
  instanceCount = 0;
}

/** Where a run of records stopped: at `end` (all read), or at the start of a record this does not read. */
export interface ScanStop {
  /** Byte offset where reading stopped: `end`, or the start of the record not read. */
  readonly at: number;
  /** Records read (and visited). */
  readonly records: number;
  /** The start of record number `chunkRecords`, the last multiple of `chunk` at or before `records`. */
  readonly chunkAt: number;
  readonly chunkRecords: number;
}

/**
 * Reads the records in `bytes[at, end)` (the text between the head's line and the closing `\n]}`),
 * calling `visit` for each. `routes` and `names` translate the file's indices (their lengths are the
 * tables' sizes: an index beyond one is not read here, and refused by the JSON reader).
 */
export function scanRecords(bytes: Uint8Array, at: number, end: number, routes: Int32Array, names: Int32Array, chunk: number, visit: (r: ScannedRecord) => void): ScanStop {
  const s = new Scanner(bytes, routes, names);
  let records = 0;
  let chunkAt = at;
  let chunkRecords = 0;
  let p = at;
  while (p < end) {
    if (records % chunk === 0) {
      chunkAt = p;
      chunkRecords = records;
    }
    s.p = p;
    if (!s.record()) break;
    let next = s.p;
    if (next !== end) {
      // Between records: `,` and a newline, and then a record (a trailing `,` is the JSON reader's to judge).
      if (bytes[next] !== COMMA || bytes[next + 1] !== NEWLINE || next + 1 >= end) break;
      next += 2;
    }
    records++;
    visit(s.r);
    p = next;
  }
  return { at: p, records, chunkAt, chunkRecords };
}

class Scanner {
  p = 0;
  readonly r = new ScannedRecord();
  constructor(
    private readonly b: Uint8Array,
    private readonly routes: Int32Array,
    private readonly names: Int32Array,
  ) {}

  /** One record from `p`; false (p anywhere) when it is not in the writers' exact shape or not valid. */
  record(): boolean {
    const r = this.r;
    if (!this.byte(OPEN)) return false;
    const route = this.uint();
    if (route < 0 || route >= this.routes.length || !this.byte(COMMA)) return false;
    r.route = this.routes[route] as number;
    if (!this.origin() || !this.byte(COMMA)) return false;
    const first = this.uint();
    if (first < 0 || !this.byte(COMMA)) return false;
    const delta = this.uint();
    if (delta < 0 || !this.byte(COMMA)) return false;
    r.firstSeen = first;
    r.lastSeen = first + delta;
    if (!this.days() || !this.byte(COMMA)) return false;
    const counts = this.counts();
    if (!counts) return false;
    if (!this.tally(r.methods) || !this.byte(COMMA) || !this.tally(r.headers) || !this.byte(COMMA) || !this.tally(r.secFetchSite) || !this.byte(COMMA)) return false;
    return this.instances() && this.byte(CLOSE);
  }

  private byte(c: number): boolean {
    if (this.b[this.p] !== c) return false;
    this.p++;
    return true;
  }

  /** A JSON integer ≥ 0 of at most 15 digits (so a safe integer), or -1. */
  private uint(): number {
    const b = this.b;
    let p = this.p;
    let c = b[p] as number;
    if (c === 0x30) {
      this.p = p + 1;
      return 0; // `01` is not JSON: the byte after the 0 is checked by the caller, and is no digit then
    }
    if (c < 0x31 || c > 0x39) return -1;
    let n = c - 0x30;
    const stop = p + 15;
    for (p++; p < stop; p++) {
      c = b[p] as number;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
    }
    if (p === stop && (b[p] as number) >= 0x30 && (b[p] as number) <= 0x39) return -1;
    this.p = p;
    return n;
  }

  /** `"…"`: one or more printable ASCII bytes, no `"` or `\` (an escape is the JSON reader's). */
  private origin(): boolean {
    const b = this.b;
    let p = this.p;
    if (b[p] !== QUOTE) return false;
    const start = ++p;
    let h = 0x811c9dc5;
    for (;;) {
      const c = b[p] as number;
      if (c === QUOTE) break;
      if (c < 0x20 || c > 0x7f || c === 0x5c) return false;
      h = Math.imul(h ^ c, 0x01000193);
      p++;
    }
    if (p === start) return false;
    this.r.originStart = start;
    this.r.originEnd = p;
    this.r.originHash = h;
    this.p = p + 1;
    return true;
  }

  /** `[first, distance, …]`: an epoch day, then distances ≥ 1, ending at 9999-12-31 at the latest. */
  private days(): boolean {
    const r = this.r;
    r.dayCount = 0;
    if (!this.byte(OPEN)) return false;
    if (this.byte(CLOSE)) return true;
    let day = 0;
    for (;;) {
      const n = this.uint();
      if (n < (r.dayCount === 0 ? 0 : 1)) return false;
      day += n;
      if (day > LAST_DAY) return false;
      if (r.dayCount === r.days.length) r.days = grownInt(r.days);
      r.days[r.dayCount++] = day;
      if (this.byte(CLOSE)) return true;
      if (!this.byte(COMMA)) return false;
    }
  }

  /** The five counts, each followed by `,`. */
  private counts(): boolean {
    const r = this.r;
    const a = this.uint();
    if (a < 0 || !this.byte(COMMA)) return false;
    const b = this.uint();
    if (b < 0 || !this.byte(COMMA)) return false;
    const c = this.uint();
    if (c < 0 || !this.byte(COMMA)) return false;
    const d = this.uint();
    if (d < 0 || !this.byte(COMMA)) return false;
    const e = this.uint();
    if (e < 0 || !this.byte(COMMA)) return false;
    r.preflightAllowed = a;
    r.preflightRejected = b;
    r.actualAllowed = c;
    r.actualRejected = d;
    r.credentialedGrants = e;
    return true;
  }

  /** `[name, count, …]`, names indexing `names`. */
  private tally(t: ScannedTally): boolean {
    t.size = 0;
    if (!this.byte(OPEN)) return false;
    if (this.byte(CLOSE)) return true;
    for (;;) {
      const name = this.uint();
      if (name < 0 || name >= this.names.length || !this.byte(COMMA)) return false;
      const count = this.uint();
      if (count < 0) return false;
      t.push(this.names[name] as number, count);
      if (this.byte(CLOSE)) return true;
      if (!this.byte(COMMA)) return false;
    }
  }

  /** `[name, …]`, names indexing `names`. */
  private instances(): boolean {
    const r = this.r;
    r.instanceCount = 0;
    if (!this.byte(OPEN)) return false;
    if (this.byte(CLOSE)) return true;
    for (;;) {
      const name = this.uint();
      if (name < 0 || name >= this.names.length) return false;
      if (r.instanceCount === r.instances.length) r.instances = grownInt(r.instances);
      r.instances[r.instanceCount++] = this.names[name] as number;
      if (this.byte(CLOSE)) return true;
      if (!this.byte(COMMA)) return false;
    }
  }
}
