/**
 * Estimated distinct rejected origins over sliding windows, in fixed memory: a HyperLogLog sketch
 * per time slice (2^precision one-byte registers), merged at scrape time over the slices still in
 * the window. The label guard caps origin series; this keeps an origin scan visible beyond the cap.
 *
 * The hash seed is random per process: with a public seed, origins can be crafted offline to land
 * in one register (400 origins reading as 1). Cluster workers take one seed from the primary, so
 * that their sketches can be merged (register by register, the maximum) rather than their
 * estimates summed, which counts an origin seen by two workers twice.
 */
import { randomInt } from 'node:crypto';
import { v3 as murmur3 } from 'murmurhash';

let hashSeed = randomInt(2 ** 32);
const seedListeners = new Set<() => void>();

/** This process's hash seed for origin sketches. */
export function getHashSeed(): number {
  return hashSeed;
}

/** Adopts a seed (a cluster worker, from its primary); sketches filled with the old one start over. */
export function setHashSeed(seed: number): void {
  if (seed === hashSeed || !Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) return;
  hashSeed = seed;
  for (const l of seedListeners) l();
}

/** Calls `listener` when the seed changes; returns a function that stops it. */
export function onHashSeedChange(listener: () => void): () => void {
  seedListeners.add(listener);
  return () => seedListeners.delete(listener);
}

export interface WindowSpec {
  /** The `window` label, e.g. `5m`. */
  readonly label: string;
  readonly windowMs: number;
  /** Slices per window: the estimate's time resolution is windowMs / slices. */
  readonly slices: number;
}

export const DEFAULT_WINDOWS: readonly WindowSpec[] = [
  { label: '5m', windowMs: 5 * 60_000, slices: 5 },
  { label: '1h', windowMs: 60 * 60_000, slices: 6 },
];

/** HyperLogLog registers over a sliding window of time slices. */
export class SlidingHyperLogLog {
  private readonly m: number;
  private readonly slices: Uint8Array[];
  private readonly sliceIds: number[];
  private readonly sliceMs: number;
  /** The slice being filled and the time span it covers: most adds land in it without recomputing. */
  private current: Uint8Array;
  private currentFrom = Infinity;
  private currentUntil = -Infinity;

  constructor(
    readonly spec: WindowSpec,
    private readonly precision = 12,
    private readonly now: () => number = Date.now,
  ) {
    if (precision < 4 || precision > 16) throw new RangeError('precision must be 4..16');
    this.m = 1 << precision;
    this.sliceMs = spec.windowMs / spec.slices;
    this.slices = Array.from({ length: spec.slices }, () => new Uint8Array(this.m));
    this.sliceIds = new Array<number>(spec.slices).fill(-1);
    this.current = this.slices[0] as Uint8Array;
  }

  add(value: string): void {
    this.addHash(hashOrigin(value, hashSeed));
  }

  clear(): void {
    for (const s of this.slices) s.fill(0);
    this.sliceIds.fill(-1);
    this.currentFrom = Infinity;
    this.currentUntil = -Infinity;
  }

  /**
   * Adds a 32-bit hash: the top `precision` bits pick the register, the rest give the rank. `now`
   * lets a caller with several sketches read the clock once.
   */
  addHash(hash: number, now = this.now()): void {
    if (now >= this.currentUntil || now < this.currentFrom) this.enterSlice(now);
    const registers = this.current;
    const index = hash >>> (32 - this.precision);
    const rest = (hash << this.precision) >>> 0;
    const rank = Math.min(Math.clz32(rest) + 1, 32 - this.precision + 1);
    if (rank > (registers[index] as number)) registers[index] = rank;
  }

  /** Makes the slice `now` falls in the current one, emptied first if it last held an older slice. */
  private enterSlice(now: number): void {
    const id = Math.floor(now / this.sliceMs);
    const i = id % this.spec.slices;
    const registers = this.slices[i] as Uint8Array;
    if (this.sliceIds[i] !== id) {
      registers.fill(0);
      this.sliceIds[i] = id;
    }
    this.current = registers;
    this.currentFrom = id * this.sliceMs;
    this.currentUntil = (id + 1) * this.sliceMs;
  }

  /** The estimated number of distinct values added within the window. */
  estimate(): number {
    return estimateRegisters(this.registers());
  }

  /** The window's registers (the maximum over its slices): merge these across processes, then estimate. */
  registers(): Uint8Array {
    const current = Math.floor(this.now() / this.sliceMs);
    const merged = new Uint8Array(this.m);
    for (let s = 0; s < this.spec.slices; s++) {
      const id = this.sliceIds[s] as number;
      if (id < 0 || current - id >= this.spec.slices) continue;
      mergeRegisters(merged, this.slices[s] as Uint8Array);
    }
    return merged;
  }
}

/** Merges `from` into `into`, register by register (the union of the two sets). */
export function mergeRegisters(into: Uint8Array, from: Uint8Array): void {
  const n = Math.min(into.length, from.length);
  for (let r = 0; r < n; r++) if ((from[r] as number) > (into[r] as number)) into[r] = from[r] as number;
}

/** The HyperLogLog estimate of a register array (2^p registers). */
export function estimateRegisters(merged: Uint8Array): number {
  const m = merged.length;
    let sum = 0;
    let zeros = 0;
    for (let r = 0; r < m; r++) {
      const v = merged[r] as number;
      sum += 2 ** -v;
      if (v === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    // Small-range correction (linear counting) as in the original paper.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    const two32 = 2 ** 32;
    if (raw > two32 / 30) return Math.round(-two32 * Math.log(1 - raw / two32));
    return Math.round(raw);
}

/**
 * MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: the same number as `murmurhash`'s
 * `v3(value, seed)`, which encodes every string with a new TextEncoder first. Origins are ASCII, so
 * their UTF-16 code units are their bytes and are hashed in place; anything else goes through the package.
 */
export function hashOrigin(value: string, seed = hashSeed): number {
  const len = value.length;
  for (let i = 0; i < len; i++) if (value.charCodeAt(i) >= 0x80) return murmur3(value, seed);
  let h = seed | 0;
  const tail = len & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = value.charCodeAt(i) | (value.charCodeAt(i + 1) << 8) | (value.charCodeAt(i + 2) << 16) | (value.charCodeAt(i + 3) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let k = value.charCodeAt(tail);
    if (rest > 1) k ^= value.charCodeAt(tail + 1) << 8;
    if (rest > 2) k ^= value.charCodeAt(tail + 2) << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  return fmix32(h ^ len);
}

/** MurmurHash3's finaliser: spreads a 32-bit value over all 32 bits (unsigned result). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
