/**
 * Which origins have a label of their own (the origin label guard's slots), designed so that nobody
 * can blind it by filling the slots first and keeping them:
 * - reserved slots (up to half the limit) for origins that were ALLOWED (tenants, wildcard matches),
 *   kept until the origin has not been allowed for a day — an allowed frontend that starts being
 *   rejected keeps its own series, whatever junk arrives;
 * - the other slots are a heavy-hitter set over a window of a few minutes: while a slot is free an
 *   origin takes it at once; when all are taken, an origin that now sends more than twice as many
 *   requests as the weakest holder takes that holder's slot, at the next rebalance. Junk sent slowly
 *   cannot keep out an origin that is bursting now.
 * Series churn is bounded: a slot is held at least `holdMs` (so at most `limit` origins gain a label
 * per `holdMs`), and a label unused for `5 × holdMs` is released (so the near-cap gauge falls back
 * when the pressure ends). Pure and clock-driven: the caller feeds time through `tick()`.
 */
import { HeavyHitters } from './heavy-hitters';

export const DEFAULT_LABEL_HOLD_MS = 60_000;
/** Reserved (once allowed) origins keep their slot this long after they were last allowed. */
export const RESERVED_IDLE_MS = 24 * 3_600_000;
/** A challenger needs this many times the weakest holder's recent count. */
const HYSTERESIS = 2;

interface HotSlot {
  since: number;
  lastSeen: number;
  count: number;
}

export interface GuardState {
  readonly labels: readonly string[];
  /** The subset of `labels` reserved for origins that were allowed. */
  readonly reserved: readonly string[];
  /** No slot is free: new origins are folded until a rebalance. */
  readonly full: boolean;
  /** No reserved slot is left for a newly allowed origin. */
  readonly reservedFull: boolean;
}

export class LabelGuard {
  readonly reservedLimit: number;
  private readonly reserved = new Map<string, number>();
  private readonly hot = new Map<string, HotSlot>();
  private readonly candidates: HeavyHitters;
  private lastDecay: number;
  /** The time of the last tick: slots given between ticks are dated with it. */
  private nowMs: number;

  constructor(
    readonly limit: number,
    readonly holdMs = DEFAULT_LABEL_HOLD_MS,
    now = 0,
  ) {
    this.reservedLimit = Math.floor(limit / 2);
    this.candidates = new HeavyHitters(Math.max(16, 2 * limit));
    this.lastDecay = now;
    this.nowMs = now;
  }

  get used(): number {
    return this.reserved.size + this.hot.size;
  }

  has(origin: string): boolean {
    return this.reserved.has(origin) || this.hot.has(origin);
  }

  wasAllowed(origin: string): boolean {
    return this.reserved.has(origin);
  }

  /**
   * An origin without a label asks for one: granted while a slot is free, or a reserved one for an
   * allowed origin (taken back from the weakest heavy hitter if need be). Otherwise it is counted as
   * a candidate for the next rebalance. Returns whether it now has a label, and any origin released.
   */
  claim(origin: string, allowed: boolean, weight = 1): { granted: boolean; released: string | undefined } {
    if (this.has(origin)) {
      this.seen(origin, allowed, weight);
      return { granted: true, released: undefined };
    }
    let released: string | undefined;
    if (allowed && this.reserved.size < this.reservedLimit) {
      if (this.used >= this.limit) released = this.releaseWeakestHot();
      this.reserved.set(origin, this.nowMs);
      this.candidates.delete(origin);
      return { granted: true, released };
    }
    if (this.used < this.limit) {
      const count = this.candidates.count(origin) + weight;
      this.candidates.delete(origin);
      this.hot.set(origin, { since: this.nowMs, lastSeen: this.nowMs, count });
      return { granted: true, released };
    }
    this.candidates.add(origin, weight);
    return { granted: false, released };
  }

  /** Counts requests of an origin that has a label (an allowed one moves to a reserved slot if one is free). */
  seen(origin: string, allowed: boolean, weight = 1): void {
    if (this.reserved.has(origin)) {
      if (allowed) this.reserved.set(origin, this.nowMs);
      return;
    }
    const slot = this.hot.get(origin);
    if (slot === undefined) return;
    slot.count += weight;
    slot.lastSeen = this.nowMs;
    if (allowed && this.reserved.size < this.reservedLimit) {
      this.hot.delete(origin);
      this.reserved.set(origin, this.nowMs);
    }
  }

  /** Counts requests of an origin without a label (as a candidate), e.g. reported by a cluster worker. */
  observe(origin: string, weight: number): void {
    this.candidates.add(origin, weight);
  }

  /** Advances the clock: decays counts, releases idle slots, gives the heaviest candidates their slots. Returns released origins. */
  tick(now: number): string[] {
    this.nowMs = now;
    const released: string[] = [];
    if (now - this.lastDecay >= this.holdMs) {
      this.lastDecay = now;
      this.candidates.decay();
      for (const slot of this.hot.values()) slot.count = Math.floor(slot.count / 2);
    }
    for (const [origin, slot] of this.hot) {
      if (now - slot.lastSeen >= 5 * this.holdMs) this.release(origin, released);
    }
    for (const [origin, lastAllowed] of this.reserved) {
      if (now - lastAllowed >= RESERVED_IDLE_MS) this.release(origin, released);
    }
    this.rebalance(now, released);
    return released;
  }

  state(): GuardState {
    return {
      labels: [...this.reserved.keys(), ...this.hot.keys()],
      reserved: [...this.reserved.keys()],
      full: this.used >= this.limit,
      reservedFull: this.reserved.size >= this.reservedLimit,
    };
  }

  private rebalance(now: number, released: string[]): void {
    const challengers = this.candidates.top(this.limit);
    if (challengers.length === 0) return;
    // Holders that have had their slot for at least holdMs, weakest first.
    const evictable = [...this.hot].filter(([, s]) => now - s.since >= this.holdMs).sort((a, b) => a[1].count - b[1].count);
    let weakest = 0;
    for (const c of challengers) {
      if (this.used < this.limit) {
        this.promote(c.key, c.count, now);
        continue;
      }
      const holder = evictable[weakest];
      if (holder === undefined || c.count <= HYSTERESIS * holder[1].count) break;
      weakest++;
      this.release(holder[0], released);
      this.promote(c.key, c.count, now);
    }
  }

  private promote(origin: string, count: number, now: number): void {
    this.candidates.delete(origin);
    this.hot.set(origin, { since: now, lastSeen: now, count });
  }

  private release(origin: string, released: string[]): void {
    const slot = this.hot.get(origin);
    // A released heavy hitter stays a candidate with its count: it can win its slot back.
    if (slot !== undefined && slot.count > 0) this.candidates.add(origin, slot.count);
    this.hot.delete(origin);
    this.reserved.delete(origin);
    released.push(origin);
  }

  private releaseWeakestHot(): string | undefined {
    let weakest: [string, HotSlot] | undefined;
    for (const entry of this.hot) if (weakest === undefined || entry[1].count < weakest[1].count) weakest = entry;
    if (weakest === undefined) return undefined;
    const released: string[] = [];
    this.release(weakest[0], released);
    return weakest[0];
  }
}
