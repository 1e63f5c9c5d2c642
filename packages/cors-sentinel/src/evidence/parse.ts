/**
 * Validating an evidence file read from disk: every problem is reported together with its path, and a
 * file that is not evidence (another JSON, a newer version) is refused rather than read as "nothing seen".
 */
import { EVIDENCE_FORMAT, EVIDENCE_VERSION, type EvidenceEntry, type EvidenceFile, type OutcomeCounts } from './format';

export class EvidenceFormatError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`not a valid cors-sentinel evidence file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EvidenceFormatError';
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

class Checker {
  readonly problems: string[] = [];
  fail(path: string, what: string): void {
    if (this.problems.length < 20) this.problems.push(`${path}: ${what}`);
  }
  count(v: unknown, path: string): number {
    if (isCount(v)) return v;
    this.fail(path, 'must be a non-negative integer');
    return 0;
  }
  time(v: unknown, path: string): number {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
    this.fail(path, 'must be a time in epoch milliseconds');
    return 0;
  }
  days(v: unknown, path: string): string[] {
    if (isStringList(v) && v.every((d) => DAY.test(d))) return [...v].sort();
    this.fail(path, 'must be a list of UTC days (YYYY-MM-DD)');
    return [];
  }
  strings(v: unknown, path: string): string[] {
    if (isStringList(v)) return v;
    this.fail(path, 'must be a list of strings');
    return [];
  }
  counts(v: unknown, path: string): Record<string, number> {
    if (!isObject(v)) {
      this.fail(path, 'must be an object of counts');
      return {};
    }
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v)) out[k] = this.count(n, `${path}.${k}`);
    return out;
  }
  outcomes(v: unknown, path: string): OutcomeCounts {
    const o = isObject(v) ? v : {};
    if (!isObject(v)) this.fail(path, 'must be { allowed, rejected }');
    return { allowed: this.count(o.allowed, `${path}.allowed`), rejected: this.count(o.rejected, `${path}.rejected`) };
  }
  entry(v: unknown, path: string): EvidenceEntry {
    const e = isObject(v) ? v : {};
    if (!isObject(v)) this.fail(path, 'must be an object');
    if (typeof e.route !== 'string' || e.route === '') this.fail(`${path}.route`, 'must be a non-empty string');
    if (typeof e.origin !== 'string' || e.origin === '') this.fail(`${path}.origin`, 'must be a non-empty string');
    return {
      route: String(e.route), origin: String(e.origin),
      firstSeen: this.time(e.firstSeen, `${path}.firstSeen`), lastSeen: this.time(e.lastSeen, `${path}.lastSeen`),
      days: this.days(e.days, `${path}.days`),
      preflight: this.outcomes(e.preflight, `${path}.preflight`), actual: this.outcomes(e.actual, `${path}.actual`),
      methods: this.counts(e.methods, `${path}.methods`), headers: this.counts(e.headers, `${path}.headers`),
      credentialedGrants: this.count(e.credentialedGrants, `${path}.credentialedGrants`),
      secFetchSite: this.counts(e.secFetchSite, `${path}.secFetchSite`),
      instances: this.strings(e.instances, `${path}.instances`),
    };
  }
}

/** The evidence in `text` (the file's content), or an EvidenceFormatError listing what is wrong. */
export function parseEvidence(text: string): EvidenceFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EvidenceFormatError([`not JSON (${(error as Error).message})`]);
  }
  if (!isObject(raw) || raw.format !== EVIDENCE_FORMAT) throw new EvidenceFormatError([`format: must be "${EVIDENCE_FORMAT}"`]);
  if (raw.version !== EVIDENCE_VERSION) throw new EvidenceFormatError([`version: ${String(raw.version)} is not supported (this version reads ${EVIDENCE_VERSION})`]);
  const c = new Checker();
  const instances: EvidenceFile['instances'] = {};
  if (!isObject(raw.instances)) c.fail('instances', 'must be an object');
  for (const [name, span] of Object.entries(isObject(raw.instances) ? raw.instances : {})) {
    const s = isObject(span) ? span : {};
    instances[name] = { firstSeen: c.time(s.firstSeen, `instances.${name}.firstSeen`), lastSeen: c.time(s.lastSeen, `instances.${name}.lastSeen`) };
  }
  const days = c.days(raw.days, 'days');
  const entries = Array.isArray(raw.entries) ? raw.entries.map((e, i) => c.entry(e, `entries[${i}]`)) : [];
  if (!Array.isArray(raw.entries)) c.fail('entries', 'must be a list');
  const dropped = isObject(raw.dropped) ? raw.dropped : {};
  const file: EvidenceFile = {
    format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, instances, days, entries,
    dropped: { requests: c.count(dropped.requests, 'dropped.requests'), pairs: c.count(dropped.pairs, 'dropped.pairs') },
  };
  if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
  return file;
}
