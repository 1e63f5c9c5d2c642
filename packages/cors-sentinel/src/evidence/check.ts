/**
 * Checks of parsed evidence JSON, in place (./parse.ts reads version 1 with them, ./compact.ts version 2).
 * Nothing is copied: `suggest` reads millions of records. Paths are built only for a problem.
 */
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
export const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A problem's path, built only when there is a problem. */
export type Path = () => string;

/** Collects problems (the first 20) and checks values without copying them. */
export class Checker {
  readonly problems: string[] = [];
  /** Day texts already found valid: a file repeats a few dozen days millions of times. */
  private readonly goodDays = new Set<string>();
  fail(path: string, what: string): void {
    if (this.problems.length < 20) this.problems.push(`${path}: ${what}`);
  }
  count(v: unknown, at: Path, suffix = ''): void {
    if (!isCount(v)) this.fail(at() + suffix, 'must be a non-negative integer');
  }
  time(v: unknown, at: Path, suffix = ''): void {
    if (!isTime(v)) this.fail(at() + suffix, 'must be a time in epoch milliseconds');
  }
  /** A real calendar day written YYYY-MM-DD (2026-02-30 is not one). */
  isDay(d: unknown): boolean {
    if (typeof d !== 'string') return false;
    if (this.goodDays.has(d)) return true;
    const ok = DAY.test(d) && new Date(Date.parse(`${d}T00:00:00Z`)).toISOString().startsWith(d);
    if (ok) this.goodDays.add(d);
    return ok;
  }
  days(v: unknown, at: Path, suffix = ''): void {
    if (!Array.isArray(v) || !v.every((d) => this.isDay(d))) {
      this.fail(at() + suffix, 'must be a list of UTC days (YYYY-MM-DD)');
      return;
    }
    for (let i = 1; i < v.length; i++) {
      if ((v[i - 1] as string) > (v[i] as string)) {
        v.sort();
        return;
      }
    }
  }
  strings(v: unknown, at: Path, suffix = ''): void {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) this.fail(at() + suffix, 'must be a list of strings');
  }
  counts(v: unknown, at: Path, suffix = ''): void {
    if (!isObject(v)) {
      this.fail(at() + suffix, 'must be an object of counts');
      return;
    }
    for (const k in v) if (!isCount(v[k])) this.fail(`${at()}${suffix}.${k}`, 'must be a non-negative integer');
  }
  outcomes(v: unknown, at: Path, suffix = ''): void {
    if (!isObject(v)) this.fail(at() + suffix, 'must be { allowed, rejected }');
    const o = isObject(v) ? v : {};
    if (!isCount(o.allowed)) this.fail(`${at()}${suffix}.allowed`, 'must be a non-negative integer');
    if (!isCount(o.rejected)) this.fail(`${at()}${suffix}.rejected`, 'must be a non-negative integer');
  }
  /** The version 1 entry at `i`. */
  entry(v: unknown, i: number): void {
    const path = (): string => `entries[${i}]`;
    const e = isObject(v) ? v : {};
    if (!isObject(v)) this.fail(path(), 'must be an object');
    if (typeof e.route !== 'string' || e.route === '') this.fail(`${path()}.route`, 'must be a non-empty string');
    if (typeof e.origin !== 'string' || e.origin === '') this.fail(`${path()}.origin`, 'must be a non-empty string');
    this.time(e.firstSeen, path, '.firstSeen');
    this.time(e.lastSeen, path, '.lastSeen');
    this.days(e.days, path, '.days');
    this.outcomes(e.preflight, path, '.preflight');
    this.outcomes(e.actual, path, '.actual');
    this.counts(e.methods, path, '.methods');
    this.counts(e.headers, path, '.headers');
    this.count(e.credentialedGrants, path, '.credentialedGrants');
    this.counts(e.secFetchSite, path, '.secFetchSite');
    this.strings(e.instances, path, '.instances');
  }
  /** `instances`, `days` and `dropped`, the same in every version. */
  head(raw: Record<string, unknown>): void {
    if (!isObject(raw.instances)) this.fail('instances', 'must be an object');
    else {
      for (const name in raw.instances) {
        const span = raw.instances[name];
        const s = isObject(span) ? span : {};
        this.time(s.firstSeen, () => `instances.${name}`, '.firstSeen');
        this.time(s.lastSeen, () => `instances.${name}`, '.lastSeen');
      }
    }
    this.days(raw.days, () => 'days');
    const dropped = isObject(raw.dropped) ? raw.dropped : {};
    this.count(dropped.requests, () => 'dropped', '.requests');
    this.count(dropped.pairs, () => 'dropped', '.pairs');
  }
}
