/**
 * A fair sample of the distinct origins behind one budget's log lines in one interval.
 *
 * First-come budgets can be spent: ten cheap rejections at the start of each interval kept a
 * one-request attacker out of the log for ever. Here the first few distinct origins are written at
 * once (a quiet interval — a frontend that just broke — is logged without delay), and the rest of
 * the budget is a uniform random sample of every other distinct origin of the interval, written when
 * the interval ends: a bottom-k sample, keeping the origins with the smallest keyed hashes. A fresh
 * secret seed per interval makes every distinct origin equally likely to be kept, whatever it is and
 * whenever it arrives, however often it repeats; the sample holds at most k lines, so a flood of
 * distinct origins costs one hash each and no memory.
 */
import { randomInt } from 'node:crypto';
import { fmix32 } from '../metrics/distinct-origins';

export type Line = Record<string, unknown> & { message: string };


interface Sampled {
  readonly origin: string;
  readonly rank: number;
  readonly line: Line;
}

/** Distinct origins written at once per budget and interval, before sampling takes over. */
export const IMMEDIATE_ORIGINS = 3;

export class FairSample {
  private readonly immediate: string[] = [];
  private readonly sampled: Sampled[] = [];
  private seed: number;

  constructor(
    /** Lines per interval: immediate ones plus the sample. */
    private readonly budget: number,
    private readonly newSeed: () => number = () => randomInt(2 ** 32),
  ) {
    this.seed = newSeed();
  }

  /**
   * Offers one request's line: returns it when it is to be written now; otherwise it may be kept
   * for the end of the interval (`build` runs only then).
   */
  offer(origin: string, hash: number, build: () => Line): Line | undefined {
    if (this.immediate.includes(origin)) return undefined;
    const immediateSlots = Math.min(IMMEDIATE_ORIGINS, this.budget);
    if (this.immediate.length < immediateSlots) {
      this.immediate.push(origin);
      return build();
    }
    const slots = this.budget - immediateSlots;
    if (slots <= 0) return undefined;
    // `hash` is the origin's keyed hash (secret per process, shared with the distinct-origin sketch, so a
    // request costs one hash); the seed is secret per interval: nobody can pick origins that rank low.
    const rank = fmix32(hash ^ this.seed);
    const sampled = this.sampled;
    if (sampled.length >= slots && rank >= sampled[sampled.length - 1]!.rank) return undefined;
    if (sampled.some((s) => s.origin === origin)) return undefined;
    // Kept in ascending rank: the last one is the first to give way.
    let at = sampled.length;
    while (at > 0 && sampled[at - 1]!.rank > rank) at--;
    sampled.splice(at, 0, { origin, rank, line: build() });
    if (sampled.length > slots) sampled.pop();
    return undefined;
  }

  /** Lines written so far plus those waiting for the end of the interval. */
  get lineCount(): number {
    return this.immediate.length + this.sampled.length;
  }

  /** The origins written (or to be written) this interval. */
  origins(): string[] {
    return [...this.immediate, ...this.sampled.map((s) => s.origin)];
  }

  /** Ends the interval: the sampled lines to write now; the next interval draws a new seed. */
  drain(): Line[] {
    const lines = this.sampled.map((s) => s.line);
    this.immediate.length = 0;
    this.sampled.length = 0;
    this.seed = this.newSeed();
    return lines;
  }
}
