/**
 * How complete the evidence is: the window it covers, the days inside it on which nothing was recorded
 * (gaps: a stopped process, a rotated-away log), the instances that contributed and what the bounded
 * ledgers dropped. `suggest` prints this first, so that incomplete output is never read as complete,
 * and refuses to call a configured origin "unused" on a window shorter than `--min-days`.
 */
import type { EvidenceView } from './evidence-input';

const DAY_MS = 86_400_000;

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const msOf = (day: string): number => Date.parse(`${day}T00:00:00Z`);

export interface Completeness {
  /** First and last day of the window (the last is `--now`'s day when that is later than the evidence). */
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** Days from `from` to `to`, inclusive. */
  readonly windowDays: number;
  /** Days inside the window on which some instance recorded. */
  readonly recordedDays: number;
  /** Days inside the window on which nothing was recorded, in order. */
  readonly gapDays: readonly string[];
  readonly instances: number;
  readonly files: number;
  readonly records: number;
  readonly pairs: number;
  readonly origins: number;
  readonly dropped: { readonly requests: number; readonly pairs: number };
  /** `--min-days`, and whether the recorded days reach it (if not, nothing is called unused). */
  readonly minDays: number;
  readonly longEnough: boolean;
}

export function completenessOf(view: EvidenceView, nowMs: number, minDays: number): Completeness {
  const days = [...view.days].sort();
  const first = days[0];
  const nowDay = dayOf(nowMs);
  const last = days.length === 0 ? undefined : [days[days.length - 1] as string, nowDay].sort()[1];
  const gapDays: string[] = [];
  let windowDays = 0;
  if (first !== undefined && last !== undefined) {
    for (let t = msOf(first); t <= msOf(last); t += DAY_MS) {
      windowDays += 1;
      if (!view.days.has(dayOf(t))) gapDays.push(dayOf(t));
    }
  }
  const pairs = view.pairs;
  return {
    from: first, to: last, windowDays, recordedDays: days.length, gapDays,
    instances: view.instances.size, files: view.files.length, records: view.records, pairs, origins: view.originCount,
    dropped: { ...view.dropped }, minDays, longEnough: days.length >= minDays,
  };
}

/** Runs of consecutive gap days as `a..b` (or `a`), for a readable line. */
export function gapRanges(gapDays: readonly string[]): string[] {
  const out: string[] = [];
  let start: string | undefined;
  let prev: string | undefined;
  const close = (): void => {
    if (start !== undefined) out.push(start === prev ? start : `${start}..${prev}`);
  };
  for (const day of gapDays) {
    if (prev === undefined || msOf(day) - msOf(prev) !== DAY_MS) {
      close();
      start = day;
    }
    prev = day;
  }
  close();
  return out;
}

export function describeCompleteness(c: Completeness): string[] {
  if (c.from === undefined) return ['evidence: empty (no day recorded): nothing can be suggested from it'];
  const gaps = c.gapDays.length === 0 ? 'no gap days' : `${c.gapDays.length} gap day(s) with nothing recorded: ${gapRanges(c.gapDays).join(', ')}`;
  const dropped = c.dropped.requests === 0 && c.dropped.pairs === 0
    ? 'nothing dropped'
    : `DROPPED by the bounded ledgers: ${c.dropped.requests} request(s) of ${c.dropped.pairs} (route, origin) pair(s) not kept — origins in them are missing here`;
  return [
    `evidence: ${c.files} file(s), ${c.instances} instance(s), ${c.records} record(s), ${c.pairs} (route, origin) pair(s), ${c.origins} origin(s)`,
    `window: ${c.from} .. ${c.to} (${c.windowDays} day(s), ${c.recordedDays} recorded); ${gaps}`,
    dropped,
    c.longEnough
      ? `--min-days ${c.minDays}: reached (${c.recordedDays} recorded days): configured origins not seen are reported unused and left out`
      : `--min-days ${c.minDays}: NOT reached (${c.recordedDays} recorded days): configured origins not seen are kept, not called unused`,
  ];
}
