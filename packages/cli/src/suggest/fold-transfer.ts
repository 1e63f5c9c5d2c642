/**
 * A fold (./fold.ts) as a worker thread hands it to the main thread: strings in three lists, everything
 * else in typed arrays (transferred, not copied), lists of lists flattened with their ends.
 */
/** Lists of numbers, one after the other: list number i is `list[ends[i - 1] .. ends[i])` (from 0 for the first). */
export interface Flat<T extends Int32Array | Float64Array> {
  readonly ends: Int32Array;
  readonly list: T;
}

export interface FoldTransfer {
  readonly records: number;
  /** The files' instances: name, first seen, last seen. */
  readonly instances: Array<[string, number, number]>;
  readonly days: string[];
  readonly dropped: { requests: number; pairs: number };
  /** Origins, routes and names in the order the worker met them; the numbers below index them. */
  readonly origins: string[];
  readonly routes: string[];
  readonly names: string[];
  /** Per origin: first and last seen; the five counts; the days. */
  readonly span: Float64Array;
  readonly counts: Float64Array;
  readonly originDays: Flat<Int32Array>;
  /** How many pairs each origin has; the pairs follow, origin by origin, each origin's in the order met. */
  readonly pairsPerOrigin: Int32Array;
  readonly pairRoute: Int32Array;
  readonly pairCredentialed: Uint8Array;
  readonly methods: Flat<Int32Array>;
  readonly headers: Flat<Int32Array>;
  /** `[name, count, …]` per pair. */
  readonly sites: Flat<Float64Array>;
}

/** What a worker thread of `suggest` (./fold-worker.ts) answers: its fold, or the error that stopped it. */
export type WorkerAnswer = { readonly fold: FoldTransfer } | { readonly error: string; readonly input: boolean };

export function flatten<T extends Int32Array | Float64Array>(n: number, list: (i: number) => readonly number[], Type: new (length: number) => T): Flat<T> {
  const ends = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < n; i++) ends[i] = size += list(i).length;
  const out = new Type(size);
  for (let i = 0, at = 0; i < n; i++) {
    for (const v of list(i)) out[at++] = v;
  }
  return { ends, list: out };
}

/** The buffers to transfer with `t`. */
export function transferList(t: FoldTransfer): ArrayBuffer[] {
  const arrays = [t.span, t.counts, t.originDays.ends, t.originDays.list, t.pairsPerOrigin, t.pairRoute, t.pairCredentialed, t.methods.ends, t.methods.list, t.headers.ends, t.headers.list, t.sites.ends, t.sites.list];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

/** Calls `visit` with the index in `flat.list` of each item of list number `i` (items of `step` numbers). */
export function forList(flat: Flat<Int32Array | Float64Array>, i: number, step: number, visit: (k: number) => void): void {
  const end = flat.ends[i] as number;
  for (let k = i === 0 ? 0 : (flat.ends[i - 1] as number); k < end; k += step) visit(k);
}
