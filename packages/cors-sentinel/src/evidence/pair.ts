/**
 * One (route, origin) pair as the ledger keeps it in memory: counters updated in place, so that recording
 * a request allocates nothing once its pair exists, and kept small (a few hundred bytes: plain fields,
 * and short flat arrays sized exactly, grown by copy on the rare new name or day). Everything a request can make grow is capped (method
 * and header names, days), because an attacker can send any Origin with any method and header names:
 * what no longer fits is counted under OTHER_KEY rather than forgotten.
 */
import { parseRequestedHeaders } from '../http/tokens';
import type { EvidenceEntry } from './format';

/** Counts of names beyond a pair's cap. Parentheses are not token characters: no real method or header is called this. */
export const OTHER_KEY = '(other)';
/** A preflight's `Access-Control-Request-Headers` that is not a list of header names. */
export const INVALID_KEY = '(invalid)';
export const MAX_METHODS_PER_PAIR = 16;
export const MAX_HEADERS_PER_PAIR = 48;
/** Distinct days kept per pair: more than a year; older ones go first. */
export const MAX_DAYS_PER_PAIR = 400;
const MAX_NAME_LENGTH = 64;
/** Distinct raw `Access-Control-Request-Headers` values kept unparsed per pair (parsed when the file is written). */
const MAX_RAW_HEADER_VALUES = 8;

export const DAY_MS = 86_400_000;
export const dayNumber = (time: number): number => Math.floor(time / DAY_MS);
export const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayOfText = (text: string): number => dayNumber(Date.parse(`${text}T00:00:00Z`));

/** Names with counts, flat (`[name, count, name, count, …]`): a pair sees a handful, and a scan of a few beats hashing. */
type Tally = Array<string | number>;

export class PairRecord {
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = 0;
  /** Epoch days (UTC) on which the pair was seen; `lastDay` spares the search on all but a day's first request. */
  days: readonly number[] = [];
  private lastDay = -1;
  preflightAllowed = 0;
  preflightRejected = 0;
  actualAllowed = 0;
  actualRejected = 0;
  credentialedGrants = 0;
  private methods: Tally | undefined;
  /** Raw request-header lists as received, parsed only when the file is written: a browser repeats one list. */
  private rawHeaders: Tally | undefined;
  /** Names from lists beyond MAX_RAW_HEADER_VALUES (and from a merged file). */
  private headers: Tally | undefined;
  private crossSite = 0;
  private sameSite = 0;
  private sameOrigin = 0;
  private noneSite = 0;
  private absentSite = 0;
  private otherSite = 0;
  /** Other instances that saw it (from a file merged at start); this instance is added when it records. */
  earlierInstances: readonly string[] = [];
  seenHere = false;

  constructor(
    readonly route: string,
    readonly origin: string,
  ) {}

  get requests(): number {
    return this.preflightAllowed + this.preflightRejected + this.actualAllowed + this.actualRejected;
  }

  /** Counts one request; returns whether it was the pair's first on a new day. */
  record(time: number, preflight: boolean, allowed: boolean, method: string | undefined, requestHeaders: string | undefined, credentialed: boolean, secFetchSite: string | undefined): boolean {
    if (time < this.firstSeen) this.firstSeen = time;
    if (time > this.lastSeen) this.lastSeen = time;
    this.seenHere = true;
    if (preflight) {
      if (allowed) this.preflightAllowed++;
      else this.preflightRejected++;
      if (requestHeaders !== undefined) this.countRawHeaders(requestHeaders);
    } else if (allowed) this.actualAllowed++;
    else this.actualRejected++;
    if (credentialed) this.credentialedGrants++;
    if (method !== undefined) this.methods = tally(this.methods, method, MAX_METHODS_PER_PAIR, 1);
    this.countSite(secFetchSite, 1);
    const day = dayNumber(time);
    return day !== this.lastDay && this.addDay(day);
  }

  private countSite(value: string | undefined, n: number): void {
    switch (value) {
      case 'cross-site': this.crossSite += n; break;
      case 'same-site': this.sameSite += n; break;
      case 'same-origin': this.sameOrigin += n; break;
      case 'none': this.noneSite += n; break;
      case undefined: this.absentSite += n; break;
      default: this.otherSite += n; // not a Fetch Metadata value
    }
  }

  private countRawHeaders(value: string): void {
    const raw = this.rawHeaders;
    if (raw !== undefined) {
      for (let i = 0; i < raw.length; i += 2) {
        if (raw[i] === value) {
          raw[i + 1] = (raw[i + 1] as number) + 1;
          return;
        }
      }
    }
    if ((raw?.length ?? 0) < 2 * MAX_RAW_HEADER_VALUES && value.length <= 256) this.rawHeaders = [...(raw ?? []), value, 1];
    else this.parseHeaders(value, 1);
  }

  private parseHeaders(value: string, weight: number): void {
    const parsed = parseRequestedHeaders(value);
    if (!parsed.ok) {
      this.headers = tally(this.headers, INVALID_KEY, MAX_HEADERS_PER_PAIR, weight);
      return;
    }
    for (const name of parsed.names) this.headers = tally(this.headers, name, MAX_HEADERS_PER_PAIR, weight);
  }

  private addDay(day: number): boolean {
    this.lastDay = day;
    if (this.days.includes(day)) return false;
    const days = [...this.days, day];
    this.days = days.length > MAX_DAYS_PER_PAIR ? days.sort((a, b) => a - b).slice(-MAX_DAYS_PER_PAIR) : days;
    return true;
  }

  toEntry(instance: string): EvidenceEntry {
    const raw = this.rawHeaders ?? [];
    for (let i = 0; i < raw.length; i += 2) this.parseHeaders(raw[i] as string, raw[i + 1] as number);
    this.rawHeaders = undefined;
    const instances = this.seenHere && !this.earlierInstances.includes(instance) ? [...this.earlierInstances, instance].sort() : [...this.earlierInstances];
    const sites: Record<string, number> = {};
    const siteCounts: Array<[string, number]> = [
      ['cross-site', this.crossSite], ['same-site', this.sameSite], ['same-origin', this.sameOrigin], ['none', this.noneSite], ['absent', this.absentSite], [OTHER_KEY, this.otherSite],
    ];
    for (const [name, n] of siteCounts) if (n > 0) sites[name] = n;
    return {
      route: this.route,
      origin: this.origin,
      firstSeen: Number.isFinite(this.firstSeen) ? this.firstSeen : this.lastSeen,
      lastSeen: this.lastSeen,
      days: [...this.days].sort((a, b) => a - b).map(dayText),
      preflight: { allowed: this.preflightAllowed, rejected: this.preflightRejected },
      actual: { allowed: this.actualAllowed, rejected: this.actualRejected },
      methods: tallyRecord(this.methods),
      headers: tallyRecord(this.headers),
      credentialedGrants: this.credentialedGrants,
      secFetchSite: sites,
      instances,
    };
  }

  /** A pair from a file written earlier (merged at start), under the same caps as a recorded one. */
  static fromEntry(e: EvidenceEntry): PairRecord {
    const p = new PairRecord(e.route, e.origin);
    p.firstSeen = e.firstSeen;
    p.lastSeen = e.lastSeen;
    p.days = [...new Set(e.days.map(dayOfText))].sort((a, b) => a - b).slice(-MAX_DAYS_PER_PAIR);
    p.preflightAllowed = e.preflight.allowed;
    p.preflightRejected = e.preflight.rejected;
    p.actualAllowed = e.actual.allowed;
    p.actualRejected = e.actual.rejected;
    p.credentialedGrants = e.credentialedGrants;
    for (const [name, n] of Object.entries(e.methods)) p.methods = tally(p.methods, name, MAX_METHODS_PER_PAIR, n);
    for (const [name, n] of Object.entries(e.headers)) p.headers = tally(p.headers, name, MAX_HEADERS_PER_PAIR, n);
    for (const [name, n] of Object.entries(e.secFetchSite)) p.countSite(name === 'absent' ? undefined : name, n);
    p.earlierInstances = [...new Set(e.instances)].sort();
    return p;
  }
}

/** `name` gets `weight` more in `t` (a new array when the name is new); a new name beyond `cap` names, or a too long one, is counted as OTHER_KEY. */
function tally(t: Tally | undefined, name: string, cap: number, weight: number): Tally {
  if (t !== undefined) {
    for (let i = 0; i < t.length; i += 2) {
      if (t[i] === name) {
        t[i + 1] = (t[i + 1] as number) + weight;
        return t;
      }
    }
  }
  const size = (t?.length ?? 0) / 2;
  if (name !== OTHER_KEY && (size >= cap - 1 || name.length > MAX_NAME_LENGTH)) return tally(t, OTHER_KEY, cap, weight);
  return [...(t ?? []), name, weight];
}

function tallyRecord(t: Tally | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; t !== undefined && i < t.length; i += 2) out[t[i] as string] = t[i + 1] as number;
  return out;
}
