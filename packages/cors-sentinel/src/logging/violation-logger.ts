/**
 * Structured, flood-safe violation lines through winston. Each reason has its own budget per
 * interval; what exceeds it is counted and reported as one summary line per reason and interval,
 * so an attacker can neither flood the logs nor make violations disappear without trace.
 *
 * Nor can an attacker spend the budget to hide (a blinder sending 10 junk rejections per interval):
 * - violation lines are a fair sample of the interval's distinct rejected origins (./fair-sample):
 *   the first few are written at once, the rest of the budget is drawn at random among all others and
 *   written when the interval ends, so a one-request attacker amid a flood of cheap origins is as
 *   likely to be logged as any of them, and the summary says how many distinct origins went unnamed;
 * - rejections that matter most — of an origin that was allowed before, or on a credentialed route —
 *   have budgets of their own, which junk from unknown origins cannot spend;
 * - every interval in which lines were suppressed ends with a line naming the origins rejected most
 *   often (escaped, capped), counted in bounded memory (./heavy-hitters), so whoever is bursting
 *   now is named even when none of its lines got through.
 */
import winston from 'winston';
import { REASONS, type Decision, type Reason } from '../engine/decision';
import { hashOrigin, SlidingHyperLogLog } from '../metrics/distinct-origins';
import { HeavyHitters } from '../metrics/heavy-hitters';
import { FairSample, type Line } from './fair-sample';

export const MAX_LOGGED_VALUE_LENGTH = 200;
/** Origins named in the per-interval summary of rejected origins. */
export const TOP_ORIGINS_LOGGED = 10;

/** What a violation line says about the request, beyond the decision. */
export interface RequestSummary {
  readonly method: string;
  readonly path: string;
}

/** Why a rejection is logged on a budget of its own (undefined: the reason's budget). */
export type PriorityBudget = 'previously_allowed' | 'credentialed_route';

export interface ViolationLoggerOptions {
  readonly maxPerInterval?: number;
  readonly intervalMs?: number;
  readonly level?: string;
  /** A fresh sampling seed per interval (tests pass a seeded source; default: crypto-random). */
  readonly samplingSeed?: () => number;
}

/** Distinct rejected origins of the current interval: one slice that never expires (cleared per interval). */
const INTERVAL_SKETCH = { label: 'interval', windowMs: 2 ** 52, slices: 1 } as const;

/** Makes request text safe for any log sink: printable ASCII only, escaped, length-capped. */
export function sanitizeForLog(value: string): string {
  let out = '';
  const end = Math.min(value.length, MAX_LOGGED_VALUE_LENGTH);
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) out += value[i];
    else if (c === 0x5c) out += '\\\\';
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  if (value.length > MAX_LOGGED_VALUE_LENGTH) out += `…(+${value.length - MAX_LOGGED_VALUE_LENGTH})`;
  return out;
}

function sanitizeAll(details: Readonly<Record<string, string>>): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) safe[k] = sanitizeForLog(v);
  return safe;
}

export function createDefaultLogger(): winston.Logger {
  return winston.createLogger({
    level: 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { component: 'cors-sentinel' },
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
}

/** Rate-limit keys of violation lines, built once rather than per rejected request. */
const VIOLATION_KEYS: ReadonlyMap<Reason, string> = new Map(REASONS.map((r) => [r, `violation:${r}`]));
const PRIORITY_KEYS: Readonly<Record<PriorityBudget, string>> = { previously_allowed: 'priority:previously_allowed', credentialed_route: 'priority:credentialed_route' };

/** Rate-limit keys of cross-origin protection lines (decisions that are logged). */
const CROSS_ORIGIN_KEYS: ReadonlyMap<string, string> = new Map(['would_block', 'blocked'].map((d) => [d, `cross_origin:${d}`]));

/** The field that names what was suppressed, per kind of line (matches the field of the lines themselves). */
const SUMMARY_FIELD: Readonly<Record<string, string>> = { violation: 'reason', finding: 'finding', shadow: 'change', priority: 'priority', cross_origin: 'decision', probe_signature: 'reason' };

export class ViolationLogger {
  private readonly maxPerInterval: number;
  private readonly intervalMs: number;
  private readonly level: string;
  private readonly counts = new Map<string, number>();
  /** Rejected origins of the current interval, most frequent first in the summary. */
  private readonly rejectedOrigins = new HeavyHitters(4 * TOP_ORIGINS_LOGGED);
  private readonly distinctRejected = new SlidingHyperLogLog(INTERVAL_SKETCH, 10);
  /** Per violation budget (reason or priority): the fair sample of this interval's origins. */
  private readonly samples = new Map<string, FairSample>();
  private readonly samplingSeed: (() => number) | undefined;
  private rejectedInInterval = 0;
  private priorityOf: (decision: Decision) => PriorityBudget | undefined = () => undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: winston.Logger | undefined,
    options: ViolationLoggerOptions = {},
  ) {
    this.maxPerInterval = options.maxPerInterval ?? 10;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.level = options.level ?? 'warn';
    this.samplingSeed = options.samplingSeed;
    if (!(this.maxPerInterval >= 0) || !(this.intervalMs > 0)) throw new TypeError('cors-sentinel: invalid logging rate limit');
  }

  /** Says which rejections are logged on a budget of their own (set by the sentinel, which knows the policy). */
  setPriority(priorityOf: (decision: Decision) => PriorityBudget | undefined): void {
    this.priorityOf = priorityOf;
  }

  /**
   * Logs a rejected decision (rate-limited per reason, or on a priority budget). `rawOrigin` is shown,
   * escaped, for invalid origins; `request` adds the method and path.
   */
  violation(decision: Decision, rawOrigin: string | undefined, request?: RequestSummary): void {
    const reason = decision.reason;
    if (reason === undefined || !this.logger) return;
    // Runs for every rejected request (a flood included): count first, with a prebuilt key, and
    // build the line only when it is within budget.
    const origin = decision.origin ?? '';
    const shownAs = origin === '__invalid__' && rawOrigin !== undefined ? rawOrigin : origin;
    this.rejectedOrigins.add(shownAs);
    const hash = hashOrigin(shownAs);
    this.distinctRejected.addHash(hash, 0); // one slice for all time (cleared per interval): no clock read
    this.rejectedInInterval++;
    const priority = this.priorityOf(decision);
    const key = priority !== undefined ? PRIORITY_KEYS[priority] : (VIOLATION_KEYS.get(reason) ?? `violation:${reason}`);
    this.count(key);
    let sample = this.samples.get(key);
    if (sample === undefined) {
      sample = new FairSample(this.maxPerInterval, this.samplingSeed);
      this.samples.set(key, sample);
    }
    const line = sample.offer(shownAs, hash, () => ({
      message: 'cors violation',
      reason,
      route: sanitizeForLog(decision.route),
      requestType: decision.requestType,
      origin: sanitizeForLog(origin),
      ...(decision.origin === '__invalid__' && rawOrigin !== undefined ? { rawOrigin: sanitizeForLog(rawOrigin) } : {}),
      ...(request !== undefined ? { method: sanitizeForLog(request.method), path: sanitizeForLog(request.path) } : {}),
      ...(decision.offending !== undefined ? { offending: sanitizeForLog(decision.offending) } : {}),
      ...(priority !== undefined ? { priority } : {}),
      // Sampled lines are written when the interval ends: say when the request came.
      at: new Date().toISOString(),
    }));
    if (line !== undefined) this.write(line);
  }

  /** Logs a response finding (stacked CORS layers and the like), rate-limited per finding. */
  finding(finding: string, details: Readonly<Record<string, string>>): void {
    this.emit(`finding:${finding}`, () => ({ message: 'cors finding', finding, ...sanitizeAll(details) }));
  }

  /**
   * Logs a sample of a report-only disagreement (the candidate policy would change the answer),
   * rate-limited per kind of change, so that an operator can see which origins a switch would affect.
   */
  shadow(change: string, details: Readonly<Record<string, string>>): void {
    this.emit(`shadow:${change}`, () => ({ message: 'cors report-only difference', change, ...sanitizeAll(details) }));
  }

  /** Logs a request cross-origin protection blocked or would block (Fetch Metadata), rate-limited per decision. */
  crossOrigin(decision: string, details: () => Readonly<Record<string, string>>): void {
    this.emit(CROSS_ORIGIN_KEYS.get(decision) ?? `cross_origin:${decision}`, () => ({ message: 'cors cross-origin request', decision, ...sanitizeAll(details()) }));
  }

  /**
   * Logs a `CORS-Sentinel-Probe` header that did not verify (malformed, expired, wrong MAC), rate-limited
   * per reason: the prober's key or clock is wrong, or someone sends the header to hide among probes.
   * The request is counted and logged as ordinary traffic besides.
   */
  probeSignature(reason: string, details: () => Readonly<Record<string, string>>): void {
    this.emit(`probe_signature:${reason}`, () => ({ message: 'cors probe signature not verified', reason, ...sanitizeAll(details()) }));
  }

  /** Writes pending summaries and stops the timer. */
  close(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Ends the current interval: the sampled violation lines, the rejected origins (most frequent, and
   * how many distinct ones no line named), and one summary line per key that had lines suppressed.
   */
  flush(): void {
    if (!this.logger) return;
    const written = new Map<string, number>();
    const named = new Set<string>();
    for (const [key, sample] of this.samples) {
      written.set(key, sample.lineCount);
      for (const origin of sample.origins()) named.add(origin);
      for (const line of sample.drain()) this.write({ ...line, sampled: true });
    }
    this.samples.clear();
    const unshown = [...written].some(([key, lines]) => (this.counts.get(key) ?? 0) > lines);
    if (unshown) {
      const top = this.rejectedOrigins.top(TOP_ORIGINS_LOGGED);
      for (const o of top) named.add(o.key);
      const distinct = Math.round(this.distinctRejected.estimate());
      this.logger.log(this.level, 'cors rejected origins', {
        rejected: this.rejectedInInterval,
        topOrigins: top.map((o) => ({ origin: sanitizeForLog(o.key), count: o.count })),
        distinctOrigins: distinct,
        // Estimated (HyperLogLog) where there were many; exact for a few.
        distinctOriginsNotShown: Math.max(0, distinct - named.size),
        intervalMs: this.intervalMs,
      });
    }
    this.rejectedOrigins.clear();
    this.distinctRejected.clear();
    this.rejectedInInterval = 0;
    for (const [key, count] of this.counts) {
      const suppressed = count - (written.get(key) ?? this.maxPerInterval);
      if (suppressed > 0) {
        const [kind, name] = key.split(':') as [string, string];
        this.logger.log(this.level, 'cors log lines suppressed', {
          [SUMMARY_FIELD[kind] ?? kind]: name,
          suppressed,
          intervalMs: this.intervalMs,
        });
      }
    }
    this.counts.clear();
  }

  /** Counts a line against its key's budget; builds and writes it only when within budget. */
  private emit(key: string, build: () => Line): void {
    if (this.logger && this.count(key) <= this.maxPerInterval) this.write(build());
  }

  /** Counts a line for its key in this interval (starting the interval timer): the count so far. */
  private count(key: string): number {
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  private write(line: Line): void {
    const { message, ...meta } = line;
    this.logger?.log(this.level, message, meta);
  }
}
