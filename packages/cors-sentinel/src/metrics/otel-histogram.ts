/**
 * The contract's histograms through OpenTelemetry without the SDK on the request path.
 *
 * The SDK's `Histogram.record(value, attributes)` hashes the attribute set on every call (sorts its
 * keys, JSON-stringifies them, looks the string up): 70 % of an OTel preflight's cost in a CPU profile,
 * about 10× the whole prom-client path (docs/opentelemetry.md, "Cost"). OTel has no pre-bound
 * instrument, no weighted record and no asynchronous histogram. So, as on the prom-client path
 * (./histogram), each attribute set is a series object, bound once, that counts its observations per
 * bucket in place; at each collection, before the SDK reads its synchronous instruments (it runs the
 * observable callbacks first), the pending observations are handed to the SDK's `Histogram` in one
 * batch.
 *
 * The batch records one value per observation (the SDK counts a record as one observation), but not
 * the values themselves, which would need memory per request: per bucket, the series keeps the count
 * and the sum, and per collection the minimum and maximum. It records the minimum and maximum as they
 * were and every other observation of a bucket as the mean of the rest of that bucket, so the SDK's
 * bucket counts, count, minimum and maximum are exact and its sum equal up to floating-point rounding
 * (its additions are grouped differently). Memory per series is fixed, whether or not anyone collects.
 */
import type { HistogramSeries } from './histogram';

export type OtelAttributes = Record<string, string>;

export interface HistogramLike {
  record(value: number, attributes?: OtelAttributes): void;
}

/** Observations of one attribute set since the last collection. */
class PendingSeries implements HistogramSeries {
  /** Per bucket, not cumulative; the last slot is `+Inf`. */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private count = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(
    private readonly attributes: Readonly<OtelAttributes>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.sums = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // What the SDK's Histogram drops (NaN, negative values) is dropped here too; so is ±Infinity, which a duration never is.
    if (!(value >= 0) || value === Infinity) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    (this.sums[i] as number) += value;
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Records the pending observations into the SDK histogram and starts over. */
  drainInto(histogram: HistogramLike): void {
    if (this.count === 0) return;
    const record = (value: number) => histogram.record(value, this.attributes);
    for (let i = 0; i < this.counts.length; i++) {
      const n = this.counts[i] as number;
      if (n === 0) continue;
      const lower = i === 0 ? -Infinity : (this.bounds[i - 1] as number);
      const upper = i < this.bounds.length ? (this.bounds[i] as number) : Infinity;
      let rest = n;
      let restSum = this.sums[i] as number;
      let low = Math.max(this.min, justAbove(lower));
      const high = Math.min(this.max, upper);
      if (this.min > lower && this.min <= upper) {
        record(this.min);
        rest--;
        restSum -= this.min;
      }
      if (rest > 0 && this.max > lower && this.max <= upper) {
        record(this.max);
        rest--;
        restSum -= this.max;
      }
      if (rest === 0) continue;
      // The mean of values inside [low, high] is inside it; rounding may step out by an ulp, which would change the bucket.
      low = Math.min(low, high);
      const mean = Math.min(high, Math.max(low, restSum / rest));
      for (let j = 0; j < rest; j++) record(mean);
    }
    this.counts.fill(0);
    this.sums.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/** The smallest double above a bucket's lower bound (bounds are exclusive below). */
function justAbove(bound: number): number {
  if (!Number.isFinite(bound)) return bound;
  return bound + Math.max(Math.abs(bound) * Number.EPSILON, Number.MIN_VALUE);
}

/** A histogram by attribute set, behind the contract's histogram interface (./metrics LabelledHistogram). */
export class BufferedOtelHistogram<L extends string> {
  private readonly series = new Map<string, PendingSeries>();

  constructor(
    private readonly histogram: HistogramLike,
    private readonly labelNames: readonly L[],
    private readonly bounds: readonly number[],
  ) {}

  labels(...values: string[]): HistogramSeries {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const attributes: OtelAttributes = {};
      this.labelNames.forEach((name, i) => (attributes[name] = values[i] as string));
      this.series.set(key, (s = new PendingSeries(attributes, this.bounds)));
    }
    return s;
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.labels(...this.labelNames.map((name) => labels[name])).observe(value);
  }

  /** Called at each collection, before the SDK reads the histogram. */
  drain(): void {
    for (const s of this.series.values()) s.drainInto(this.histogram);
  }
}
