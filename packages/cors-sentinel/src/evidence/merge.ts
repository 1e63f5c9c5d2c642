/**
 * Reading and merging evidence files. Pure: the writers (which merge a file left by an earlier run at
 * start) and `cors-sentinel suggest` (which merges one file per instance) share these, so a pair seen by
 * two instances or across a restart is one entry with its counts summed and its days united.
 */
import { EVIDENCE_FORMAT, EVIDENCE_VERSION, type EvidenceEntry, type EvidenceFile, type OutcomeCounts } from './format';

export function emptyEvidence(): EvidenceFile {
  return { format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, instances: {}, days: [], entries: [], dropped: { requests: 0, pairs: 0 } };
}

export const evidenceKey = (route: string, origin: string): string => `${route}\u0000${origin}`;

const unionSorted = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])].sort();

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): Record<string, number> {
  const out = { ...into };
  for (const [k, v] of Object.entries(from)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const addOutcomes = (a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts => ({ allowed: a.allowed + b.allowed, rejected: a.rejected + b.rejected });

/** One entry from two records of the same (route, origin). */
export function mergeEntry(a: EvidenceEntry, b: EvidenceEntry): EvidenceEntry {
  return {
    route: a.route,
    origin: a.origin,
    firstSeen: Math.min(a.firstSeen, b.firstSeen),
    lastSeen: Math.max(a.lastSeen, b.lastSeen),
    days: unionSorted(a.days, b.days),
    preflight: addOutcomes(a.preflight, b.preflight),
    actual: addOutcomes(a.actual, b.actual),
    methods: addCounts(a.methods, b.methods),
    headers: addCounts(a.headers, b.headers),
    credentialedGrants: a.credentialedGrants + b.credentialedGrants,
    secFetchSite: addCounts(a.secFetchSite, b.secFetchSite),
    instances: unionSorted(a.instances, b.instances),
  };
}

/** The union of any number of evidence files (none gives an empty one). */
export function mergeEvidence(files: readonly EvidenceFile[]): EvidenceFile {
  const out = emptyEvidence();
  const byKey = new Map<string, EvidenceEntry>();
  for (const file of files) {
    for (const [name, span] of Object.entries(file.instances)) {
      const seen = out.instances[name];
      out.instances[name] = seen
        ? { firstSeen: Math.min(seen.firstSeen, span.firstSeen), lastSeen: Math.max(seen.lastSeen, span.lastSeen) }
        : { ...span };
    }
    out.days = unionSorted(out.days, file.days);
    out.dropped = { requests: out.dropped.requests + file.dropped.requests, pairs: out.dropped.pairs + file.dropped.pairs };
    for (const entry of file.entries) {
      const key = evidenceKey(entry.route, entry.origin);
      const seen = byKey.get(key);
      byKey.set(key, seen ? mergeEntry(seen, entry) : entry);
    }
  }
  out.entries = [...byKey.values()];
  return out;
}
