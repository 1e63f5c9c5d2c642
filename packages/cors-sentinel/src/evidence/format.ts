/**
 * The evidence ledger file (`cors-evidence.json`): what cors-sentinel saw of each (route, origin), written
 * by the middleware, `corsObserver`, the sidecar proxy and the log reader, and read by `cors-sentinel
 * suggest`. One format for every writer so files from many instances and restarts merge
 * (./merge.ts) into one view. Times are epoch milliseconds; days are UTC `YYYY-MM-DD`.
 */
export const EVIDENCE_FORMAT = 'cors-sentinel-evidence';
/**
 * The version writers write: 2, the compact form below (entries as arrays, names in per-file tables),
 * about a third of version 1's bytes. Readers accept both; version 1 (entries as objects) is EvidenceFile.
 */
export const EVIDENCE_VERSION = 2;
/** Versions a reader accepts. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];

/** Outcome counts of one request type. */
export interface OutcomeCounts {
  allowed: number;
  rejected: number;
}

/** Everything seen of one origin on one route. */
export interface EvidenceEntry {
  /**
   * The route the request was judged on: the policy route's `path` pattern (`/api/account/*`), `*` for the
   * default route; a writer without a route table (an observer with no policy) records the path's first
   * segment as `/segment/*` (`/` for the root), so an attacker's paths cannot multiply entries.
   */
  route: string;
  /** The serialised origin (`https://app.example.com`, `null` for the opaque origin). */
  origin: string;
  firstSeen: number;
  lastSeen: number;
  /** Distinct UTC days on which the pair was seen, sorted ascending. */
  days: string[];
  preflight: OutcomeCounts;
  actual: OutcomeCounts;
  /** Methods: `Access-Control-Request-Method` of preflights and the method of actual requests, with counts. */
  methods: Record<string, number>;
  /** Lower-cased names asked for in `Access-Control-Request-Headers`, with counts. */
  headers: Record<string, number>;
  /** Grants that carried `Access-Control-Allow-Credentials: true`. */
  credentialedGrants: number;
  /** `Sec-Fetch-Site` values (`cross-site`, `same-site`, `same-origin`, `none`, or `absent`), with counts. */
  secFetchSite: Record<string, number>;
  /** The instances (see EvidenceFile.instances) that saw it. */
  instances: string[];
}

/** One contributing process: its name and the span of time it recorded. */
export interface EvidenceInstance {
  firstSeen: number;
  lastSeen: number;
}

/** What a bounded ledger could not keep, so a reader never mistakes "dropped" for "unused". */
export interface EvidenceDropped {
  /** Requests whose (route, origin) pair was not kept. */
  requests: number;
  /** Distinct pairs evicted or never admitted (an estimate when a writer cannot count exactly). */
  pairs: number;
}

/**
 * The evidence in memory, whatever version it was read from (version 1 on disk is this object as JSON).
 * `version` is the version it will be written as.
 */
export interface EvidenceFile {
  format: typeof EVIDENCE_FORMAT;
  version: typeof EVIDENCE_VERSION;
  /** Instance name (`host:pid`, or the name given to the writer) → its recorded span. */
  instances: Record<string, EvidenceInstance>;
  /** Distinct UTC days on which any instance recorded anything, sorted: a day missing inside the window is a gap. */
  days: string[];
  entries: EvidenceEntry[];
  dropped: EvidenceDropped;
}

/**
 * Version 2 on disk: the head of version 1 (`instances`, `days`, `dropped`), two tables, and one array per
 * (route, origin), one per line. A reader that sums millions of records parses a third of the bytes and
 * makes one array per record instead of seven objects; strings a file repeats (routes, method, header,
 * `Sec-Fetch-Site` and instance names) are written once.
 *
 * A record, by position:
 * `[route, origin, firstSeen, lastSeen - firstSeen, days, preflightAllowed, preflightRejected,
 *   actualAllowed, actualRejected, credentialedGrants, methods, headers, secFetchSite, instances]`
 * - `route`: an index into `routes`;
 * - `days`: epoch days (days since 1970-01-01 UTC), the first one whole, each next one as its distance to
 *   the one before (≥ 1): `[20454, 2, 3]` is 2026-01-01, 2026-01-03, 2026-01-06;
 * - `methods`, `headers`, `secFetchSite`: flat `[name, count, name, count, …]`, a name an index into `names`;
 * - `instances`: indices into `names`.
 */
export interface CompactEvidenceFile {
  format: typeof EVIDENCE_FORMAT;
  version: 2;
  instances: Record<string, EvidenceInstance>;
  days: string[];
  dropped: EvidenceDropped;
  routes: string[];
  names: string[];
  entries: CompactEntry[];
}

export type CompactEntry = [
  route: number, origin: string, firstSeen: number, lastSeenDelta: number, days: number[],
  preflightAllowed: number, preflightRejected: number, actualAllowed: number, actualRejected: number, credentialedGrants: number,
  methods: number[], headers: number[], secFetchSite: number[], instances: number[],
];

/** The number of fields of a CompactEntry. */
export const COMPACT_FIELDS = 14;
