/**
 * Reading the evidence files given to `suggest` and folding them into one view per origin.
 *
 * Each file is read and validated with the library's parseEvidence (so a bad file fails with its
 * EvidenceFormatError text, naming the file), then folded into mutable accumulators and dropped before
 * the next file is read: memory holds one file's parse plus the distinct (route, origin) pairs, not
 * every file at once. The fold sums and unites exactly as mergeEvidence does (a pair seen by two
 * instances or across a restart is one pair); it mutates in place instead of copying per merge, because
 * `suggest` folds millions of records and mergeEntry allocates a new entry each time.
 */
import { readFileSync } from 'node:fs';
import { EvidenceFormatError, parseEvidence } from 'cors-sentinel/internal/evidence/parse';
import type { EvidenceEntry, EvidenceFile, OutcomeCounts } from 'cors-sentinel/internal/evidence/format';

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
  for (const path of paths) foldFile(view, parseEvidenceFile(path));
  return view;
}

export function parseEvidenceFile(path: string): EvidenceFile {
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
    return parseEvidence(text);
  } catch (err) {
    if (err instanceof EvidenceFormatError) throw new SuggestInputError(`cors-sentinel suggest: --evidence ${path}: ${err.message}`);
    throw err;
  }
}

/** Folds one parsed file into the view (in place). */
export function foldFile(view: EvidenceView, file: EvidenceFile): void {
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
  for (const entry of file.entries) foldEntry(view, entry);
}

function foldEntry(view: EvidenceView, e: EvidenceEntry): void {
  let origin = view.origins.get(e.origin);
  if (origin === undefined) {
    origin = { origin: e.origin, routes: new Map(), firstSeen: e.firstSeen, lastSeen: e.lastSeen, days: new Set() };
    view.origins.set(e.origin, origin);
  }
  origin.firstSeen = Math.min(origin.firstSeen, e.firstSeen);
  origin.lastSeen = Math.max(origin.lastSeen, e.lastSeen);
  for (const day of e.days) origin.days.add(day);
  let use = origin.routes.get(e.route);
  if (use === undefined) {
    use = {
      route: e.route, firstSeen: e.firstSeen, lastSeen: e.lastSeen, days: new Set(), preflight: { allowed: 0, rejected: 0 }, actual: { allowed: 0, rejected: 0 },
      methods: new Map(), headers: new Map(), credentialedGrants: 0, secFetchSite: new Map(), instances: new Set(),
    };
    origin.routes.set(e.route, use);
  }
  use.firstSeen = Math.min(use.firstSeen, e.firstSeen);
  use.lastSeen = Math.max(use.lastSeen, e.lastSeen);
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
