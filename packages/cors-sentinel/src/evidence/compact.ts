/**
 * Version 2 of the evidence file (format.ts, CompactEvidenceFile): validating it in place, expanding it to
 * the EvidenceFile every library reader uses, and writing it. Every writer (the recorder of the
 * middleware, `corsObserver`, the proxy and the log reader) writes through evidenceText (./file.ts),
 * which writes this form.
 */
import { COMPACT_FIELDS, EVIDENCE_FORMAT, EVIDENCE_VERSION, type CompactEntry, type CompactEvidenceFile, type EvidenceEntry, type EvidenceFile } from './format';
import { isCount, isTime, type Checker, type Path } from './check';

const DAY_MS = 86_400_000;
/** The last epoch day whose text is still `YYYY-MM-DD` (9999-12-31). */
export const LAST_DAY = 2_932_896;

const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);
const dayNumber = (text: string): number => Date.parse(`${text}T00:00:00Z`) / DAY_MS;

const isIndex = (v: unknown, size: number): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) < size;

function isStringTable(v: unknown, nonEmpty: boolean): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string' && (!nonEmpty || s !== ''));
}

/** Days as written in a record: the first epoch day, then distances of at least 1. */
function isDayList(v: unknown): v is number[] {
  if (!Array.isArray(v)) return false;
  let day = 0;
  for (let i = 0; i < v.length; i++) {
    const n = v[i] as unknown;
    if (!Number.isSafeInteger(n) || (n as number) < (i === 0 ? 0 : 1)) return false;
    day += n as number;
  }
  return day <= LAST_DAY;
}

/** `[name, count, …]` with names indexing `names`. */
function isTally(v: unknown, names: number): v is number[] {
  if (!Array.isArray(v) || v.length % 2 !== 0) return false;
  for (let i = 0; i < v.length; i += 2) if (!isIndex(v[i], names) || !isCount(v[i + 1])) return false;
  return true;
}

function isIndexList(v: unknown, size: number): v is number[] {
  return Array.isArray(v) && v.every((i) => isIndex(i, size));
}

/** Checks the tables and every record of a version 2 file (its head is checked by Checker.head). */
export function checkCompact(c: Checker, raw: Record<string, unknown>): void {
  checkTables(c, raw);
  if (!Array.isArray(raw.entries)) c.fail('entries', 'must be a list');
  else checkRecords(c, raw.entries as unknown[], raw, 0);
}

export function checkTables(c: Checker, raw: Record<string, unknown>): void {
  if (!isStringTable(raw.routes, true)) c.fail('routes', 'must be a list of non-empty strings');
  if (!isStringTable(raw.names, false)) c.fail('names', 'must be a list of strings');
}

/** Checks `entries`, the records from number `offset` on, against the tables of `raw`. */
export function checkRecords(c: Checker, entries: readonly unknown[], raw: Record<string, unknown>, offset: number): void {
  const routes = isStringTable(raw.routes, true) ? raw.routes.length : 0;
  const names = isStringTable(raw.names, false) ? raw.names.length : 0;
  for (let i = 0; i < entries.length && c.problems.length < 20; i++) {
    const e = entries[i];
    if (!Array.isArray(e) || e.length !== COMPACT_FIELDS) c.fail(`entries[${offset + i}]`, `must be a list of ${COMPACT_FIELDS} fields (docs/evidence.md)`);
    else checkRecord(c, e, routes, names, () => `entries[${offset + i}]`);
  }
}

function checkRecord(c: Checker, e: unknown[], routes: number, names: number, at: Path): void {
  if (!isIndex(e[0], routes)) c.fail(`${at()}[0]`, 'route: must index routes');
  if (typeof e[1] !== 'string' || e[1] === '') c.fail(`${at()}[1]`, 'origin: must be a non-empty string');
  if (!isTime(e[2])) c.fail(`${at()}[2]`, 'firstSeen: must be a time in epoch milliseconds');
  if (typeof e[3] !== 'number' || !isTime((e[2] as number) + e[3])) c.fail(`${at()}[3]`, 'lastSeen - firstSeen: must give a time in epoch milliseconds');
  if (!isDayList(e[4])) c.fail(`${at()}[4]`, 'days: must be an epoch day followed by distances of at least 1');
  for (let k = 5; k <= 9; k++) if (!isCount(e[k])) c.fail(`${at()}[${k}]`, 'must be a non-negative integer');
  for (let k = 10; k <= 12; k++) if (!isTally(e[k], names)) c.fail(`${at()}[${k}]`, 'must be [name, count, …] with names indexing names');
  if (!isIndexList(e[13], names)) c.fail(`${at()}[13]`, 'instances: must index names');
}

function tallyRecord(t: readonly number[], names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < t.length; i += 2) {
    const name = names[t[i] as number] as string;
    out[name] = (Object.hasOwn(out, name) ? (out[name] as number) : 0) + (t[i + 1] as number); // `toString` is a name too
  }
  return out;
}

/** The days of a record as `YYYY-MM-DD` texts. */
export function recordDays(days: readonly number[]): string[] {
  const out = new Array<string>(days.length);
  let day = 0;
  for (let i = 0; i < days.length; i++) out[i] = dayText((day += days[i] as number));
  return out;
}

/** The EvidenceFile of a validated version 2 file. */
export function expandCompact(c: CompactEvidenceFile): EvidenceFile {
  const entries = c.entries.map((e): EvidenceEntry => ({
    route: c.routes[e[0]] as string, origin: e[1], firstSeen: e[2], lastSeen: e[2] + e[3], days: recordDays(e[4]),
    preflight: { allowed: e[5], rejected: e[6] }, actual: { allowed: e[7], rejected: e[8] },
    methods: tallyRecord(e[10], c.names), headers: tallyRecord(e[11], c.names), credentialedGrants: e[9],
    secFetchSite: tallyRecord(e[12], c.names), instances: e[13].map((i) => c.names[i] as string),
  }));
  return { format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, instances: c.instances, days: c.days, entries, dropped: c.dropped };
}

/** Strings numbered in the order they are first met. */
class Table {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  of(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.index.set(s, i);
      this.list.push(s);
    }
    return i;
  }
}

function compactDays(days: readonly string[]): number[] {
  const numbers = [...new Set(days.map(dayNumber))].filter((d) => Number.isSafeInteger(d) && d >= 0).sort((a, b) => a - b);
  return numbers.map((d, i) => (i === 0 ? d : d - (numbers[i - 1] as number)));
}

function compactTally(counts: Readonly<Record<string, number>>, names: Table): number[] {
  const out: number[] = [];
  for (const name in counts) out.push(names.of(name), counts[name] as number);
  return out;
}

function compactEntry(e: EvidenceEntry, routes: Table, names: Table): CompactEntry {
  return [
    routes.of(e.route), e.origin, e.firstSeen, e.lastSeen - e.firstSeen, compactDays(e.days),
    e.preflight.allowed, e.preflight.rejected, e.actual.allowed, e.actual.rejected, e.credentialedGrants,
    compactTally(e.methods, names), compactTally(e.headers, names), compactTally(e.secFetchSite, names), e.instances.map((i) => names.of(i)),
  ];
}

/** The version 2 text of `file`: the head on the first line, then one record per line, so that a person can read and diff it. */
export function compactText(file: EvidenceFile): string {
  const routes = new Table();
  const names = new Table();
  const lines = file.entries.map((e) => JSON.stringify(compactEntry(e, routes, names)));
  const head = { format: EVIDENCE_FORMAT, version: 2, instances: file.instances, days: file.days, dropped: file.dropped, routes: routes.list, names: names.list };
  return `${JSON.stringify(head).slice(0, -1)},"entries":[${lines.length === 0 ? '' : `\n${lines.join(',\n')}\n`}]}\n`;
}
