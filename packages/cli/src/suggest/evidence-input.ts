/**
 * Reading the evidence files given to `suggest` and folding them into one view per origin.
 *
 * Each file is read and validated with the library's readEvidence (so a bad file fails with its
 * EvidenceFormatError text, naming the file), then folded into mutable accumulators and dropped before
 * the next file is read: memory holds one file's parse plus the distinct (route, origin) pairs, not
 * every file at once. The fold sums and unites exactly as mergeEvidence does (a pair seen by two
 * instances or across a restart is one pair); it mutates in place instead of copying per merge, because
 * `suggest` folds millions of records and mergeEntry allocates a new entry each time. A version 2 file
 * is folded from its compact records as they are (no EvidenceEntry is made): its names come from the
 * file's tables, so each is hashed once per file, not once per record.
 */
import { readFileSync } from 'node:fs';
import { readEvidenceChunks } from 'cors-sentinel/internal/evidence/chunks';
import { EvidenceFormatError, type ReadEvidence } from 'cors-sentinel/internal/evidence/parse';
import type { CompactEvidenceFile, EvidenceEntry, EvidenceFile, OutcomeCounts } from 'cors-sentinel/internal/evidence/format';

/** A file `suggest` cannot use (missing, unreadable, not evidence): exit 1, the message names the file. */
export class SuggestInputError extends Error {
  readonly exitCode = 1;
  override readonly name = 'SuggestInputError';
}

/** Everything seen of one origin on one route, across all files. */
export interface RouteUse {
  readonly route: string;
  firstSeen: number;
  lastSeen: number;
  readonly days: Set<string>;
  readonly preflight: OutcomeCounts;
  readonly actual: OutcomeCounts;
  readonly methods: Map<string, number>;
  readonly headers: Map<string, number>;
  credentialedGrants: number;
  readonly secFetchSite: Map<string, number>;
  readonly instances: Set<string>;
}

/** One origin: its uses per route and the totals `suggest` classifies on. */
export interface OriginEvidence {
  readonly origin: string;
  readonly routes: Map<string, RouteUse>;
  firstSeen: number;
  lastSeen: number;
  readonly days: Set<string>;
}

/** The folded view of every file: origins, contributing instances, recorded days and what was dropped. */
export interface EvidenceView {
  readonly files: readonly string[];
  readonly origins: Map<string, OriginEvidence>;
  readonly instances: Map<string, { firstSeen: number; lastSeen: number }>;
  readonly days: Set<string>;
  readonly dropped: { requests: number; pairs: number };
  /** Entries read over all files (before pairs were merged). */
  records: number;
}

export function emptyView(files: readonly string[] = []): EvidenceView {
  return { files, origins: new Map(), instances: new Map(), days: new Set(), dropped: { requests: 0, pairs: 0 }, records: 0 };
}

/** Reads and folds every file; a missing, unreadable or invalid file stops the run with its name. */
export function readEvidenceFiles(paths: readonly string[]): EvidenceView {
  const view = emptyView(paths);
  for (const path of paths) readEvidencePieces(path, (piece) => foldFile(view, piece));
  return view;
}

/**
 * Reads one file and calls `visit` with its validated pieces (readEvidenceChunks: a large file is parsed
 * a few thousand records at a time). An invalid file throws SuggestInputError after some pieces may have
 * been visited: the run stops, and what was folded is dropped with it.
 */
export function readEvidencePieces(path: string, visit: (piece: ReadEvidence) => void): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // A string too long for V8 (ERR_STRING_TOO_LONG, about 512 MiB) is a file no single JSON.parse can read.
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'ERR_STRING_TOO_LONG' ? 'too large to read as one JSON text (split it per instance)' : e.message;
    throw new SuggestInputError(`cors-sentinel suggest: --evidence ${path}: cannot read it: ${why}`);
  }
  try {
    readEvidenceChunks(text, visit);
  } catch (err) {
    if (err instanceof EvidenceFormatError) throw new SuggestInputError(`cors-sentinel suggest: --evidence ${path}: ${err.message}`);
    throw err;
  }
}

/** Folds one read file into the view (in place). */
export function foldFile(view: EvidenceView, read: ReadEvidence): void {
  if (read.version === 2) foldCompact(view, read.file);
  else foldEntries(view, read.file);
}

function foldHead(view: EvidenceView, file: EvidenceFile | CompactEvidenceFile): void {
  for (const [name, span] of Object.entries(file.instances)) {
    const seen = view.instances.get(name);
    if (seen) {
      seen.firstSeen = Math.min(seen.firstSeen, span.firstSeen);
      seen.lastSeen = Math.max(seen.lastSeen, span.lastSeen);
    } else view.instances.set(name, { ...span });
  }
  for (const day of file.days) view.days.add(day);
  view.dropped.requests += file.dropped.requests;
  view.dropped.pairs += file.dropped.pairs;
  view.records += file.entries.length;
}

function foldEntries(view: EvidenceView, file: EvidenceFile): void {
  foldHead(view, file);
  for (const entry of file.entries) foldEntry(view, entry);
}

/** The accumulator of (route, origin), made on its first record; its origin's span widened to [firstSeen, lastSeen]. */
function useOf(view: EvidenceView, originName: string, route: string, firstSeen: number, lastSeen: number): { origin: OriginEvidence; use: RouteUse } {
  let origin = view.origins.get(originName);
  if (origin === undefined) {
    origin = { origin: originName, routes: new Map(), firstSeen, lastSeen, days: new Set() };
    view.origins.set(originName, origin);
  }
  if (firstSeen < origin.firstSeen) origin.firstSeen = firstSeen;
  if (lastSeen > origin.lastSeen) origin.lastSeen = lastSeen;
  let use = origin.routes.get(route);
  if (use === undefined) {
    use = {
      route, firstSeen, lastSeen, days: new Set(), preflight: { allowed: 0, rejected: 0 }, actual: { allowed: 0, rejected: 0 },
      methods: new Map(), headers: new Map(), credentialedGrants: 0, secFetchSite: new Map(), instances: new Set(),
    };
    origin.routes.set(route, use);
  }
  if (firstSeen < use.firstSeen) use.firstSeen = firstSeen;
  if (lastSeen > use.lastSeen) use.lastSeen = lastSeen;
  return { origin, use };
}

function foldEntry(view: EvidenceView, e: EvidenceEntry): void {
  const { origin, use } = useOf(view, e.origin, e.route, e.firstSeen, e.lastSeen);
  for (const day of e.days) origin.days.add(day);
  for (const day of e.days) use.days.add(day);
  use.preflight.allowed += e.preflight.allowed;
  use.preflight.rejected += e.preflight.rejected;
  use.actual.allowed += e.actual.allowed;
  use.actual.rejected += e.actual.rejected;
  addCounts(use.methods, e.methods);
  addCounts(use.headers, e.headers);
  addCounts(use.secFetchSite, e.secFetchSite);
  use.credentialedGrants += e.credentialedGrants;
  for (const instance of e.instances) use.instances.add(instance);
}

/** `YYYY-MM-DD` of epoch days, made once per day for the whole run. */
const dayTexts = new Map<number, string>();
function dayText(day: number): string {
  let text = dayTexts.get(day);
  if (text === undefined) {
    text = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dayTexts.set(day, text);
  }
  return text;
}

/** A version 2 file's records (layout: CompactEntry in cors-sentinel's evidence/format.ts), validated by readEvidence. */
function foldCompact(view: EvidenceView, file: CompactEvidenceFile): void {
  foldHead(view, file);
  const { routes, names } = file;
  for (const e of file.entries) {
    const { origin, use } = useOf(view, e[1], routes[e[0]] as string, e[2], e[2] + e[3]);
    const days = e[4];
    let day = 0;
    for (let i = 0; i < days.length; i++) {
      const text = dayText((day += days[i] as number));
      // The origin's days include its routes' days: a day the route has is one the origin has (one lookup, not two).
      if (!use.days.has(text)) {
        use.days.add(text);
        origin.days.add(text);
      }
    }
    use.preflight.allowed += e[5];
    use.preflight.rejected += e[6];
    use.actual.allowed += e[7];
    use.actual.rejected += e[8];
    use.credentialedGrants += e[9];
    addTally(use.methods, e[10], names);
    addTally(use.headers, e[11], names);
    addTally(use.secFetchSite, e[12], names);
    const instances = e[13];
    for (let i = 0; i < instances.length; i++) use.instances.add(names[instances[i] as number] as string);
  }
}

function addTally(into: Map<string, number>, t: readonly number[], names: readonly string[]): void {
  for (let i = 0; i < t.length; i += 2) {
    const name = names[t[i] as number] as string;
    into.set(name, (into.get(name) ?? 0) + (t[i + 1] as number));
  }
}

function addCounts(into: Map<string, number>, from: Readonly<Record<string, number>>): void {
  for (const key in from) into.set(key, (into.get(key) ?? 0) + (from[key] as number));
}

/** The totals of an origin over its routes. */
export interface OriginTotals {
  allowed: number;
  rejected: number;
  preflights: number;
  actual: number;
  credentialedGrants: number;
  secFetchSite: Map<string, number>;
  instances: Set<string>;
}

export function totalsOf(o: OriginEvidence): OriginTotals {
  const t: OriginTotals = { allowed: 0, rejected: 0, preflights: 0, actual: 0, credentialedGrants: 0, secFetchSite: new Map(), instances: new Set() };
  for (const use of o.routes.values()) {
    t.allowed += use.preflight.allowed + use.actual.allowed;
    t.rejected += use.preflight.rejected + use.actual.rejected;
    t.preflights += use.preflight.allowed + use.preflight.rejected;
    t.actual += use.actual.allowed + use.actual.rejected;
    t.credentialedGrants += use.credentialedGrants;
    for (const [k, v] of use.secFetchSite) t.secFetchSite.set(k, (t.secFetchSite.get(k) ?? 0) + v);
    for (const i of use.instances) t.instances.add(i);
  }
  return t;
}
