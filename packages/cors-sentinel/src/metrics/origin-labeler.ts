/**
 * The origin label guard. An attacker controls `Origin`, so it can never be a raw label value:
 * - exactly configured origins always keep their value (bounded by the config);
 * - other origins hold one of `limit` slots, given out by a LabelGuard (./label-guard): reserved
 *   slots for origins that were allowed, the rest a heavy-hitter set over a window, so that whoever
 *   is bursting now gets a label and junk sent earlier cannot keep it out;
 * - an origin without a slot is folded: into its wildcard pattern when one admitted it, else `__other__`;
 * - `null` and `__invalid__` are values of their own.
 * In a cluster the primary owns the guard (../cluster): workers ask it for slots, report what they
 * count, and follow the label set it broadcasts, so that every worker labels an origin alike.
 */
import { INVALID_ORIGIN_LABEL, type Decision } from '../engine/decision';
import { HeavyHitters } from './heavy-hitters';
import { DEFAULT_LABEL_HOLD_MS, LabelGuard, type GuardState } from './label-guard';

export const OTHER_ORIGIN_LABEL = '__other__';
export const DEFAULT_ORIGIN_LABEL_LIMIT = 50;

export interface LabelResult {
  readonly label: string;
  /** True when the origin was folded because it holds no slot. */
  readonly overflow: boolean;
  /** True when this call took a new slot. */
  readonly newSlot: boolean;
}

/** What a cluster worker reports to the primary once per rebalance period. */
export interface SlotReport {
  /** Requests per labelled origin since the last report: [origin, requests, allowed requests]. */
  readonly labelled: ReadonlyArray<readonly [string, number, number]>;
  /** The heaviest origins without a label since the last report: [origin, requests]. */
  readonly candidates: ReadonlyArray<readonly [string, number]>;
}

/** The primary's side of the cluster protocol, as a worker sees it. */
export interface SlotAuthority {
  /** Asks for a slot; resolves with the primary's label state after its answer (undefined: no answer). */
  claim(origin: string, allowed: boolean): Promise<{ granted: boolean; state: GuardState } | undefined>;
  report(report: SlotReport): void;
  /** Calls `onState` with every label state the primary broadcasts. */
  follow(onState: (state: GuardState) => void): void;
}

type Labelled = Pick<Decision, 'origin' | 'originPattern' | 'originSource'> & { readonly outcome?: Decision['outcome'] };

export class OriginLabeler {
  private readonly guard: LabelGuard | undefined;
  /** Cluster worker: the primary's last label state, and what was counted since the last report. */
  private labels = new Set<string>();
  private reservedLabels = new Set<string>();
  private full = false;
  private reservedFull = false;
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly labelledCounts = new Map<string, [number, number]>();
  private readonly unlabelled: HeavyHitters;
  private readonly releaseListeners: Array<(origins: readonly string[]) => void> = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly limit: number,
    private readonly configured: ReadonlySet<string>,
    private readonly authority?: SlotAuthority,
    readonly holdMs = DEFAULT_LABEL_HOLD_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.unlabelled = new HeavyHitters(Math.max(16, 2 * limit));
    if (authority === undefined) this.guard = new LabelGuard(limit, holdMs, now());
    else authority.follow((state) => this.follow(state));
    // Rebalances (or reports to the primary) six times per hold period.
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.floor(holdMs / 6)));
    this.timer.unref();
  }

  get slotsUsed(): number {
    return this.guard !== undefined ? this.guard.used : this.labels.size;
  }

  /** Whether the origin holds a reserved slot: it was allowed (and is not configured exactly). */
  wasAllowed(origin: string): boolean {
    return this.guard !== undefined ? this.guard.wasAllowed(origin) : this.reservedLabels.has(origin);
  }

  /** Calls `listener` with origins that lost their label (their series can be retired). */
  onRelease(listener: (origins: readonly string[]) => void): void {
    this.releaseListeners.push(listener);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Whether an origin's own series is counted without asking (configured or a fixed value). */
  isFixed(origin: string): boolean {
    return origin === 'null' || origin === INVALID_ORIGIN_LABEL || this.configured.has(origin);
  }

  /** Counts a request of an origin that has a label (its series already exists). */
  seen(origin: string, allowed: boolean): void {
    if (this.guard !== undefined) return this.guard.seen(origin, allowed);
    const counts = this.labelledCounts.get(origin);
    if (counts === undefined) this.labelledCounts.set(origin, [1, allowed ? 1 : 0]);
    else {
      counts[0]++;
      if (allowed) counts[1]++;
    }
  }

  /** The label for a decision's origin; a promise only while a cluster primary is being asked. */
  label(decision: Labelled): LabelResult | Promise<LabelResult> {
    const origin = decision.origin;
    if (origin === undefined) return { label: '', overflow: false, newSlot: false };
    if (this.isFixed(origin)) return { label: origin, overflow: false, newSlot: false };
    const allowed = decision.outcome === 'allowed';
    if (this.guard !== undefined) {
      const { granted, released } = this.guard.claim(origin, allowed);
      if (released !== undefined) this.released([released]);
      return granted ? { label: origin, overflow: false, newSlot: true } : fold(decision);
    }
    if (this.labels.has(origin)) {
      this.seen(origin, allowed);
      return { label: origin, overflow: false, newSlot: false };
    }
    // An origin already being asked about waits for that answer: every request of one origin gets the same label.
    let claim = this.pending.get(origin);
    if (claim === undefined) {
      if (this.full && !(allowed && !this.reservedFull)) {
        this.unlabelled.add(origin);
        return fold(decision);
      }
      claim = this.askPrimary(origin, allowed);
      this.pending.set(origin, claim);
    }
    return claim.then((granted) => (granted ? { label: origin, overflow: false, newSlot: true } : fold(decision)));
  }

  private async askPrimary(origin: string, allowed: boolean): Promise<boolean> {
    const answer = await (this.authority as SlotAuthority).claim(origin, allowed);
    this.pending.delete(origin);
    if (answer === undefined) return false;
    this.follow(answer.state);
    if (!answer.granted) this.unlabelled.add(origin);
    return answer.granted && this.labels.has(origin);
  }

  /** Adopts the primary's label state; origins that lost their label are released here too. */
  private follow(state: GuardState): void {
    const next = new Set(state.labels);
    const gone = [...this.labels].filter((o) => !next.has(o));
    this.labels = next;
    this.reservedLabels = new Set(state.reserved);
    this.full = state.full;
    this.reservedFull = state.reservedFull;
    if (gone.length > 0) this.released(gone);
  }

  private tick(): void {
    if (this.guard !== undefined) {
      const released = this.guard.tick(this.now());
      if (released.length > 0) this.released(released);
      return;
    }
    if (this.labelledCounts.size === 0 && this.unlabelled.size === 0) return;
    const labelled = [...this.labelledCounts].map(([o, [n, allowed]]) => [o, n, allowed] as const);
    const candidates = this.unlabelled.top(2 * this.limit).map((c) => [c.key, c.count] as const);
    this.labelledCounts.clear();
    this.unlabelled.clear();
    (this.authority as SlotAuthority).report({ labelled, candidates });
  }

  private released(origins: readonly string[]): void {
    for (const listener of this.releaseListeners) listener(origins);
  }
}

function fold(decision: Pick<Decision, 'originPattern' | 'originSource'>): LabelResult {
  if (decision.originSource === 'wildcard' && decision.originPattern !== undefined) {
    return { label: decision.originPattern, overflow: true, newSlot: false };
  }
  return { label: OTHER_ORIGIN_LABEL, overflow: true, newSlot: false };
}
