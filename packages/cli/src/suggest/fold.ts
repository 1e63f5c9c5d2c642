/**
 * Every evidence file folded into one entry per (route, origin), numbered: origins, routes and names
 * (methods, headers, `Sec-Fetch-Site` values) each get a number the first time they are met, and what
 * `suggest` needs of them is kept in typed arrays indexed by those numbers (a pair's names: ./pair-names.ts),
 * and a sorted list of days per origin. A
 * record costs one lookup of its origin (from the file's bytes: ./origin-table.ts), a walk of that
 * origin's few routes, and additions; nothing is allocated per record once its pair and days exist.
 *
 * It sums and unites exactly as the library's mergeEvidence does (a pair seen by two instances or across
 * a restart is one pair), keeping only what `suggest` reads: per origin its span, its days, its counts;
 * per pair its route, whether a grant was credentialed, the method and header names and the
 * `Sec-Fetch-Site` counts. Per-pair days and instances are checked by the reader but not kept (`suggest`
 * classifies origins on the origin's days and counts the files' instances).
 */
import type { EvidenceBytesReader } from 'cors-sentinel/internal/evidence/chunks';
import type { CompactEvidenceFile, EvidenceEntry, EvidenceFile } from 'cors-sentinel/internal/evidence/format';
import type { ReadEvidence } from 'cors-sentinel/internal/evidence/parse';
import { ScannedRecord, type ScannedTally } from 'cors-sentinel/internal/evidence/scan';
import { flatten, forList, type FoldTransfer } from './fold-transfer';
import { OriginTable } from './origin-table';
import { NameCounts, NameSets } from './pair-names';

const DAY_MS = 86_400_000;
/** Counts kept per origin, in this order. */
const PREFLIGHT_ALLOWED = 0;
const PREFLIGHT_REJECTED = 1;
const ACTUAL_ALLOWED = 2;
const ACTUAL_REJECTED = 3;
const CREDENTIALED = 4;
const COUNTS = 5;
const NONE = -1;
/** What firstPairOf and nextPairOf return when there is no pair (left). */
export const NO_PAIR = NONE;

/** Strings numbered in the order they are first met. */
export class Names {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(name, id);
      this.list.push(name);
    }
    return id;
  }
}

export class EvidenceFold implements EvidenceBytesReader {
  readonly instances = new Map<string, { firstSeen: number; lastSeen: number }>();
  /** Days on which any instance recorded (the files' `days`). */
  readonly days = new Set<string>();
  readonly dropped = { requests: 0, pairs: 0 };
  /** Records read over all files (before pairs were merged). */
  records = 0;
  readonly origins = new OriginTable();
  readonly routes = new Names();
  readonly names = new Names();
  /** The file being read (the byte reader's records point into it). */
  private bytes: Buffer = Buffer.alloc(0);
  // Per origin.
  private span: Float64Array = new Float64Array(2 * 1024);
  private counts: Float64Array = new Float64Array(COUNTS * 1024);
  private firstPair: Int32Array = new Int32Array(1024);
  private lastPair: Int32Array = new Int32Array(1024);
  private readonly originDays: number[][] = [];
  // Per pair.
  pairs = 0;
  private pairRoute: Int32Array = new Int32Array(1024);
  private nextPair: Int32Array = new Int32Array(1024);
  private credentialed: Uint8Array = new Uint8Array(1024);
  private readonly methods = new NameSets();
  private readonly headers = new NameSets();
  /** In the order first met (the report lists them so). */
  private readonly sites = new NameCounts();
  /** Scratch record for evidence read with JSON.parse. */
  private readonly parsed = new ScannedRecord();

  constructor(readonly files: readonly string[] = []) {}

  /** Reads the records of `bytes` next (set before giving the file to readEvidenceBytes). */
  reading(bytes: Buffer): void {
    this.bytes = bytes;
  }

  tables(head: CompactEvidenceFile): { routes: Int32Array; names: Int32Array } {
    this.foldHead(head);
    return { routes: Int32Array.from(head.routes, (r) => this.routes.id(r)), names: Int32Array.from(head.names, (n) => this.names.id(n)) };
  }

  record(r: ScannedRecord): void {
    this.add(this.origins.idOfBytes(this.bytes, r.originStart, r.originEnd, r.originHash), r);
  }

  piece(p: ReadEvidence): void {
    this.foldHead(p.file);
    if (p.version === 1) for (const e of p.file.entries) this.add(this.origins.idOf(e.origin), this.fromEntry(e));
    else {
      const { routes } = p.file;
      const ids = p.file.names.map((n) => this.names.id(n));
      for (const e of p.file.entries) {
        const r = this.parsed;
        r.route = this.routes.id(routes[e[0]] as string);
        r.firstSeen = e[2];
        r.lastSeen = e[2] + e[3];
        r.dayCount = 0;
        let day = 0;
        for (const d of e[4]) pushDay(r, (day += d));
        setCounts(r, e[5], e[6], e[7], e[8], e[9]);
        setTally(r.methods, e[10], (i) => ids[i] as number);
        setTally(r.headers, e[11], (i) => ids[i] as number);
        setTally(r.secFetchSite, e[12], (i) => ids[i] as number);
        this.add(this.origins.idOf(e[1]), r);
      }
    }
  }

  private foldHead(file: Pick<EvidenceFile, 'instances' | 'days' | 'dropped'>): void {
    for (const [name, span] of Object.entries(file.instances)) {
      const seen = this.instances.get(name);
      if (seen) {
        seen.firstSeen = Math.min(seen.firstSeen, span.firstSeen);
        seen.lastSeen = Math.max(seen.lastSeen, span.lastSeen);
      } else this.instances.set(name, { ...span });
    }
    for (const day of file.days) this.days.add(day);
    this.dropped.requests += file.dropped.requests;
    this.dropped.pairs += file.dropped.pairs;
  }

  /** A version 1 entry as a record (names numbered, days as epoch days, sorted and distinct). */
  private fromEntry(e: EvidenceEntry): ScannedRecord {
    const r = this.parsed;
    r.route = this.routes.id(e.route);
    r.firstSeen = e.firstSeen;
    r.lastSeen = e.lastSeen;
    r.dayCount = 0;
    for (const day of [...new Set(e.days.map((d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS))].sort((a, b) => a - b)) pushDay(r, day);
    setCounts(r, e.preflight.allowed, e.preflight.rejected, e.actual.allowed, e.actual.rejected, e.credentialedGrants);
    for (const [t, counts] of [[r.methods, e.methods], [r.headers, e.headers], [r.secFetchSite, e.secFetchSite]] as const) {
      t.size = 0;
      for (const name in counts) t.push(this.names.id(name), counts[name] as number);
    }
    return r;
  }

  /** Folds one record of origin `o` (routes and names as numbers of this fold). */
  private add(o: number, r: ScannedRecord): void {
    this.records++;
    if (o === this.originDays.length) this.newOrigin();
    const pair = this.pairOf(o, r.route);
    const span = this.span;
    if (r.firstSeen < (span[2 * o] as number)) span[2 * o] = r.firstSeen;
    if (r.lastSeen > (span[2 * o + 1] as number)) span[2 * o + 1] = r.lastSeen;
    const c = this.counts;
    const at = COUNTS * o;
    c[at + PREFLIGHT_ALLOWED] = (c[at + PREFLIGHT_ALLOWED] as number) + r.preflightAllowed;
    c[at + PREFLIGHT_REJECTED] = (c[at + PREFLIGHT_REJECTED] as number) + r.preflightRejected;
    c[at + ACTUAL_ALLOWED] = (c[at + ACTUAL_ALLOWED] as number) + r.actualAllowed;
    c[at + ACTUAL_REJECTED] = (c[at + ACTUAL_REJECTED] as number) + r.actualRejected;
    c[at + CREDENTIALED] = (c[at + CREDENTIALED] as number) + r.credentialedGrants;
    if (r.credentialedGrants > 0) this.credentialed[pair] = 1;
    if (r.dayCount > 0) this.addDays(o, r);
    const { methods, headers, secFetchSite } = r;
    for (let k = 0; k < methods.size; k++) this.methods.add(pair, methods.names[k] as number);
    for (let k = 0; k < headers.size; k++) this.headers.add(pair, headers.names[k] as number);
    for (let k = 0; k < secFetchSite.size; k++) this.sites.add(pair, secFetchSite.names[k] as number, secFetchSite.counts[k] as number);
  }

  private newOrigin(): void {
    const o = this.originDays.length;
    if (o === this.firstPair.length) {
      this.span = grown(this.span, 2 * 2 * o);
      this.counts = grown(this.counts, COUNTS * 2 * o);
      this.firstPair = grown(this.firstPair, 2 * o);
      this.lastPair = grown(this.lastPair, 2 * o);
    }
    this.span[2 * o] = Number.POSITIVE_INFINITY;
    this.span[2 * o + 1] = Number.NEGATIVE_INFINITY;
    this.firstPair[o] = NONE;
    this.lastPair[o] = NONE;
    this.originDays.push([]);
  }

  /** The pair of origin `o` on `route`, made (after the origin's other routes) if new. */
  private pairOf(o: number, route: number): number {
    for (let p = this.firstPair[o] as number; p !== NONE; p = this.nextPair[p] as number) if (this.pairRoute[p] === route) return p;
    const p = this.pairs++;
    if (p === this.pairRoute.length) {
      this.pairRoute = grown(this.pairRoute, 2 * p);
      this.nextPair = grown(this.nextPair, 2 * p);
      this.credentialed = grown(this.credentialed, 2 * p);
    }
    this.pairRoute[p] = route;
    this.nextPair[p] = NONE;
    this.methods.open(p);
    this.headers.open(p);
    this.sites.open(p);
    if (this.lastPair[o] === NONE) this.firstPair[o] = p;
    else this.nextPair[this.lastPair[o] as number] = p;
    this.lastPair[o] = p;
    return p;
  }

  /** Unites the record's days (ascending, distinct) with the origin's (kept sorted): usually all are there already. */
  private addDays(o: number, r: ScannedRecord): void {
    const have = this.originDays[o] as number[];
    const days = r.days;
    let i = 0;
    let j = 0;
    for (; j < r.dayCount; j++) {
      const d = days[j] as number;
      while (i < have.length && (have[i] as number) < d) i++;
      if (i === have.length || have[i] !== d) break;
    }
    if (j === r.dayCount) return;
    this.originDays[o] = mergeSorted(have, days, r.dayCount);
  }

  /** This fold in a form a worker thread can hand over (its typed arrays transferred, not copied): ./fold-transfer.ts. */
  transfer(): FoldTransfer {
    const n = this.originCount;
    const pairs = Array.from({ length: n }, (_, o) => this.pairsOf(o)).flat();
    return {
      records: this.records, instances: [...this.instances].map(([name, s]) => [name, s.firstSeen, s.lastSeen]), days: [...this.days], dropped: { ...this.dropped },
      origins: this.origins.list.slice(0, n), routes: this.routes.list, names: this.names.list,
      span: this.span.slice(0, 2 * n), counts: this.counts.slice(0, COUNTS * n), originDays: flatten(n, (o) => this.originDays[o] as number[], Int32Array),
      pairsPerOrigin: flatten(n, (o) => [this.pairsOf(o).length], Int32Array).list, pairRoute: Int32Array.from(pairs, (p) => this.pairRoute[p] as number),
      pairCredentialed: Uint8Array.from(pairs, (p) => this.credentialed[p] as number), methods: flatten(pairs.length, (i) => this.methods.of(pairs[i] as number), Int32Array),
      headers: flatten(pairs.length, (i) => this.headers.of(pairs[i] as number), Int32Array), sites: flatten(pairs.length, (i) => this.sites.of(pairs[i] as number), Float64Array),
    };
  }

  /** Folds in what a worker folded from the files after those already folded here: the same as folding its files here. */
  merge(t: FoldTransfer): void {
    this.foldHead({ instances: Object.fromEntries(t.instances.map(([name, firstSeen, lastSeen]) => [name, { firstSeen, lastSeen }])), days: t.days, dropped: t.dropped });
    this.records += t.records;
    const routeIds = t.routes.map((r) => this.routes.id(r));
    const nameIds = t.names.map((n) => this.names.id(n));
    const r = this.parsed;
    let pair = 0;
    for (let i = 0; i < t.origins.length; i++) {
      const o = this.origins.idOf(t.origins[i] as string);
      if (o === this.originDays.length) this.newOrigin();
      this.span[2 * o] = Math.min(this.span[2 * o] as number, t.span[2 * i] as number);
      this.span[2 * o + 1] = Math.max(this.span[2 * o + 1] as number, t.span[2 * i + 1] as number);
      for (let k = 0; k < COUNTS; k++) this.counts[COUNTS * o + k] = (this.counts[COUNTS * o + k] as number) + (t.counts[COUNTS * i + k] as number);
      r.dayCount = 0;
      for (let k = i === 0 ? 0 : (t.originDays.ends[i - 1] as number); k < (t.originDays.ends[i] as number); k++) pushDay(r, t.originDays.list[k] as number);
      if (r.dayCount > 0) this.addDays(o, r);
      for (const end = pair + (t.pairsPerOrigin[i] as number); pair < end; pair++) {
        const p = this.pairOf(o, routeIds[t.pairRoute[pair] as number] as number);
        if (t.pairCredentialed[pair] === 1) this.credentialed[p] = 1;
        forList(t.methods, pair, 1, (k) => this.methods.add(p, nameIds[t.methods.list[k] as number] as number));
        forList(t.headers, pair, 1, (k) => this.headers.add(p, nameIds[t.headers.list[k] as number] as number));
        forList(t.sites, pair, 2, (k) => this.sites.add(p, nameIds[t.sites.list[k] as number] as number, t.sites.list[k + 1] as number));
      }
    }
  }

  // What classification, the candidate and the report read.

  get originCount(): number {
    return this.originDays.length;
  }
  originOf(o: number): string {
    return this.origins.list[o] as string;
  }
  firstSeen(o: number): number {
    return this.span[2 * o] as number;
  }
  lastSeen(o: number): number {
    return this.span[2 * o + 1] as number;
  }
  /** The origin's distinct days (epoch days, ascending). */
  daysOf(o: number): readonly number[] {
    return this.originDays[o] as number[];
  }
  /** `[preflight allowed, preflight rejected, actual allowed, actual rejected, credentialed grants]`. */
  countsOf(o: number): [number, number, number, number, number] {
    const at = COUNTS * o;
    const c = this.counts;
    return [c[at] as number, c[at + 1] as number, c[at + 2] as number, c[at + 3] as number, c[at + 4] as number];
  }
  /** The origin's pairs, in the order their routes were first met. */
  pairsOf(o: number): number[] {
    const out: number[] = [];
    for (let p = this.firstPair[o] as number; p !== NONE; p = this.nextPair[p] as number) out.push(p);
    return out;
  }
  /** The origin's first pair and the pair after `pair` (NO_PAIR: none left), in the order pairsOf lists them: a walk without an array. */
  firstPairOf(o: number): number {
    return this.firstPair[o] as number;
  }
  nextPairOf(pair: number): number {
    return this.nextPair[pair] as number;
  }
  /** The origin's `Sec-Fetch-Site` counts summed over its pairs, values in the order first met. */
  siteTotalsOf(o: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (let p = this.firstPair[o] as number; p !== NONE; p = this.nextPair[p] as number) this.sites.sumInto(p, this.names.list, out);
    return out;
  }
  routeOf(pair: number): string {
    return this.routes.list[this.pairRoute[pair] as number] as string;
  }
  credentialedOn(pair: number): boolean {
    return this.credentialed[pair] === 1;
  }
  /** Names as numbers of the fold's name table (nameOf): a caller can work a name out once, not per pair. */
  nameOf(id: number): string {
    return this.names.list[id] as string;
  }
  methodIdsOf(pair: number): number[] {
    return this.methods.of(pair);
  }
  headerIdsOf(pair: number): number[] {
    return this.headers.of(pair);
  }
  methodsOf(pair: number): string[] {
    return this.methods.of(pair).map((n) => this.names.list[n] as string);
  }
  headersOf(pair: number): string[] {
    return this.headers.of(pair).map((n) => this.names.list[n] as string);
  }
  /** `Sec-Fetch-Site` value → count, in the order first met. */
  sitesOf(pair: number): Array<[string, number]> {
    const t = this.sites.of(pair);
    const out: Array<[string, number]> = [];
    for (let i = 0; i < t.length; i += 2) out.push([this.names.list[t[i] as number] as string, t[i + 1] as number]);
    return out;
  }
}

function pushDay(r: ScannedRecord, day: number): void {
  if (r.dayCount === r.days.length) r.days = grown(r.days, 2 * r.days.length);
  r.days[r.dayCount++] = day;
}

function setCounts(r: ScannedRecord, pa: number, pr: number, aa: number, ar: number, cred: number): void {
  r.preflightAllowed = pa;
  r.preflightRejected = pr;
  r.actualAllowed = aa;
  r.actualRejected = ar;
  r.credentialedGrants = cred;
}

function setTally(t: ScannedTally, flat: readonly number[], id: (i: number) => number): void {
  t.size = 0;
  for (let i = 0; i < flat.length; i += 2) t.push(id(flat[i] as number), flat[i + 1] as number);
}

function mergeSorted(a: readonly number[], b: Int32Array, n: number): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < n) {
    const x = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < n ? (b[j] as number) : Number.POSITIVE_INFINITY;
    const next = x <= y ? x : y;
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
    if (x === next) i++;
    if (y === next) j++;
  }
  return out;
}

function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}
