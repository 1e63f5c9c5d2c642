/**
 * The most frequent keys of a stream in bounded memory: Space-Saving (Metwally et al.) with batched
 * eviction. Up to 2·capacity keys are counted; when the table is full it is cut back to the
 * `capacity` largest counts, and a new key starts from the smallest count that was cut (`floor`), as
 * in Space-Saving — so a count is never under-estimated and over-estimated by at most `floor`.
 *
 * Why it cannot be blinded: to push a key out, other keys must out-count it. Random keys sent once
 * each only raise `floor` by about one per `capacity` keys, so a key sent more often than
 * (total / capacity) stays in the table, whatever else arrives.
 *
 * Counts decay (`decay()` halves them) so that the table describes a recent window, not all time.
 */
export interface Counted {
  readonly key: string;
  readonly count: number;
}

export class HeavyHitters {
  private readonly counts = new Map<string, number>();
  /** The largest count cut from the table: a new key may have been seen up to this often before. */
  private floor = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be ≥ 1');
  }

  /** Counts `weight` occurrences of `key`; returns its (over-)estimated count. */
  add(key: string, weight = 1): number {
    const known = this.counts.get(key);
    if (known !== undefined) {
      const n = known + weight;
      this.counts.set(key, n);
      return n;
    }
    const n = this.floor + weight;
    this.counts.set(key, n);
    if (this.counts.size >= 2 * this.capacity) this.prune();
    return n;
  }

  /** The estimated count of a key in the table (0 when it is not). */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  delete(key: string): void {
    this.counts.delete(key);
  }

  get size(): number {
    return this.counts.size;
  }

  /** The `n` largest counts, largest first. */
  top(n: number): Counted[] {
    const all: Counted[] = [];
    for (const [key, count] of this.counts) all.push({ key, count });
    all.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
    return all.slice(0, n);
  }

  /** Halves every count (drops keys that reach zero): older occurrences weigh less. */
  decay(): void {
    for (const [key, count] of this.counts) {
      const half = Math.floor(count / 2);
      if (half === 0) this.counts.delete(key);
      else this.counts.set(key, half);
    }
    this.floor = Math.floor(this.floor / 2);
  }

  clear(): void {
    this.counts.clear();
    this.floor = 0;
  }

  /** Cuts the table back to the `capacity` largest counts. */
  private prune(): void {
    const kept = this.top(this.capacity);
    const cut = kept.length === 0 ? 0 : (kept[kept.length - 1] as Counted).count;
    this.floor = Math.max(this.floor, cut);
    this.counts.clear();
    for (const { key, count } of kept) this.counts.set(key, count);
  }
}
