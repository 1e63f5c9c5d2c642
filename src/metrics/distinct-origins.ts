/**
 * Estimated distinct rejected origins over sliding windows, in fixed memory: a HyperLogLog sketch
 * per time slice (2^precision one-byte registers), merged at scrape time over the slices still in
 * the window. The label guard caps origin series; this keeps an origin scan visible beyond the cap.
 */
import { v3 as murmur3 } from 'murmurhash';

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
  }

  add(value: string): void {
    this.addHash(murmur3(value));
  }

  /** Adds a 32-bit hash: the top `precision` bits pick the register, the rest give the rank. */
  addHash(hash: number): void {
    const id = Math.floor(this.now() / this.sliceMs);
    const i = id % this.spec.slices;
    const registers = this.slices[i] as Uint8Array;
    if (this.sliceIds[i] !== id) {
      registers.fill(0);
      this.sliceIds[i] = id;
    }
    const index = hash >>> (32 - this.precision);
    const rest = (hash << this.precision) >>> 0;
    const rank = Math.min(Math.clz32(rest) + 1, 32 - this.precision + 1);
    if (rank > (registers[index] as number)) registers[index] = rank;
  }

  /** The estimated number of distinct values added within the window. */
  estimate(): number {
    const current = Math.floor(this.now() / this.sliceMs);
    const merged = new Uint8Array(this.m);
    for (let s = 0; s < this.spec.slices; s++) {
      const id = this.sliceIds[s] as number;
      if (id < 0 || current - id >= this.spec.slices) continue;
      const registers = this.slices[s] as Uint8Array;
      for (let r = 0; r < this.m; r++) if ((registers[r] as number) > (merged[r] as number)) merged[r] = registers[r] as number;
    }
    let sum = 0;
    let zeros = 0;
    for (let r = 0; r < this.m; r++) {
      const v = merged[r] as number;
      sum += 2 ** -v;
      if (v === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / this.m);
    const raw = (alpha * this.m * this.m) / sum;
    // Small-range correction (linear counting) as in the original paper.
    if (raw <= 2.5 * this.m && zeros > 0) return Math.round(this.m * Math.log(this.m / zeros));
    const two32 = 2 ** 32;
    if (raw > two32 / 30) return Math.round(-two32 * Math.log(1 - raw / two32));
    return Math.round(raw);
  }
}
