/**
 * The evidence ledger file (`cors-evidence.json`): what cors-sentinel saw of each (route, origin), written
 * by the middleware, `corsObserver`, the sidecar proxy and the log reader, and read by `cors-sentinel
 * suggest`. One format for every writer so files from many instances and restarts merge
 * (./merge.ts) into one view. Times are epoch milliseconds; days are UTC `YYYY-MM-DD`.
 */
export const EVIDENCE_FORMAT = 'cors-sentinel-evidence';
export const EVIDENCE_VERSION = 1;

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
