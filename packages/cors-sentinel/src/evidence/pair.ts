/**
 * One (route, origin) pair as the ledger keeps it in memory: counters updated in place, so that recording
 * a request allocates nothing once its pair exists. Everything a request can make grow is capped (method
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
const SEC_FETCH_SITES = new Set(['cross-site', 'same-site', 'same-origin', 'none']);

export const DAY_MS = 86_400_000;
export const dayNumber = (time: number): number => Math.floor(time / DAY_MS);
export const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const dayOfText = (text: string): number => dayNumber(Date.parse(`${text}T00:00:00Z`));

export class PairRecord {
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = 0;
  /** Epoch days (UTC) on which the pair was seen; `lastDay` spares the search on all but a day's first request. */
  days: number[] = [];
  private lastDay = -1;
  preflightAllowed = 0;
  preflightRejected = 0;
  actualAllowed = 0;
  actualRejected = 0;
  credentialedGrants = 0;
  methods: Map<string, number> | undefined;
  headers: Map<string, number> | undefined;
  secFetchSite: Map<string, number> | undefined;
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
      if (requestHeaders !== undefined) this.countHeaders(requestHeaders);
    } else if (allowed) this.actualAllowed++;
    else this.actualRejected++;
    if (credentialed) this.credentialedGrants++;
    if (method !== undefined) this.methods = countName(this.methods, method, MAX_METHODS_PER_PAIR);
    this.secFetchSite = countName(this.secFetchSite, secFetchSite === undefined ? 'absent' : SEC_FETCH_SITES.has(secFetchSite) ? secFetchSite : OTHER_KEY, 8);
    const day = dayNumber(time);
    return day !== this.lastDay && this.addDay(day);
  }

  private countHeaders(value: string): void {
    const parsed = parseRequestedHeaders(value);
    if (!parsed.ok) {
      this.headers = countName(this.headers, INVALID_KEY, MAX_HEADERS_PER_PAIR);
      return;
    }
    for (const name of parsed.names) this.headers = countName(this.headers, name, MAX_HEADERS_PER_PAIR);
  }

  private addDay(day: number): boolean {
    this.lastDay = day;
    if (this.days.includes(day)) return false;
    this.days.push(day);
    if (this.days.length > MAX_DAYS_PER_PAIR) {
      this.days.sort((a, b) => a - b);
      this.days.shift();
    }
    return true;
  }

  toEntry(instance: string): EvidenceEntry {
    const instances = this.seenHere && !this.earlierInstances.includes(instance) ? [...this.earlierInstances, instance].sort() : [...this.earlierInstances];
    return {
      route: this.route,
      origin: this.origin,
      firstSeen: Number.isFinite(this.firstSeen) ? this.firstSeen : this.lastSeen,
      lastSeen: this.lastSeen,
      days: [...this.days].sort((a, b) => a - b).map(dayText),
      preflight: { allowed: this.preflightAllowed, rejected: this.preflightRejected },
      actual: { allowed: this.actualAllowed, rejected: this.actualRejected },
      methods: Object.fromEntries(this.methods ?? []),
      headers: Object.fromEntries(this.headers ?? []),
      credentialedGrants: this.credentialedGrants,
      secFetchSite: Object.fromEntries(this.secFetchSite ?? []),
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
    p.methods = countsFrom(e.methods, MAX_METHODS_PER_PAIR);
    p.headers = countsFrom(e.headers, MAX_HEADERS_PER_PAIR);
    p.secFetchSite = countsFrom(e.secFetchSite, 8);
    p.earlierInstances = [...new Set(e.instances)].sort();
    return p;
  }
}

/** Adds one to `name` in `counts` (created on first use); a new name beyond `cap` names is counted as OTHER_KEY. */
function countName(counts: Map<string, number> | undefined, name: string, cap: number, weight = 1): Map<string, number> {
  const map = counts ?? new Map<string, number>();
  const known = map.get(name);
  if (known !== undefined) map.set(name, known + weight);
  else if (map.size < cap - 1 && name.length <= MAX_NAME_LENGTH) map.set(name, weight);
  else map.set(OTHER_KEY, (map.get(OTHER_KEY) ?? 0) + weight);
  return map;
}

function countsFrom(record: Readonly<Record<string, number>>, cap: number): Map<string, number> | undefined {
  let map: Map<string, number> | undefined;
  for (const [name, n] of Object.entries(record)) map = countName(map, name, cap, n);
  return map;
}
