/**
 * A histogram for the request path. prom-client's `Histogram` converts, validates and hashes its label
 * object on every `observe()`, even through a `labels()` child: that was about 0.35 µs per preflight,
 * more than half of what cors-sentinel added to a node:http preflight (docs/BENCHMARKS.md), and
 * prom-client has no pre-bound or batched observation (prometheus/client_js#514). Here each label set
 * is a series object, bound once, that holds its own bucket counts, sum and count.
 *
 * The registry reads it through the interface every prom-client metric implements (`name`, `help`,
 * `type`, `aggregator`, `get()`, `reset()`), so the exposition, the JSON a cluster primary aggregates
 * and `registry.resetMetrics()` are what a prom-client Histogram gives (test/metrics/histogram.test.ts
 * compares the two on the same observations).
 */
import type { Registry } from 'prom-client';

/** One exported sample, as prom-client's metrics give them to the registry. */
export interface HistogramSample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName: string;
  /** Buckets carry prom-client's exemplar slot, empty: exemplars are not recorded. */
  readonly exemplar?: null;
}

/** What `get()` returns: prom-client's metric JSON (its typings declare `type` as an enum; it is this string). */
export interface HistogramExport {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly HistogramSample[];
}

export interface HistogramSeries {
  observe(value: number): void;
}

class Series implements HistogramSeries {
  /** Per bucket, not cumulative; the last slot counts values above the highest bound (+Inf only). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /**
   * The bounds as a typed array: observe() scans them on every preflight, and the histogram's own
   * list is frozen (V8 boxes a frozen array's numbers and reads them through its generic path).
   */
  private readonly bounds: Float64Array;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    upperBounds: readonly number[],
  ) {
    this.bounds = Float64Array.from(upperBounds);
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export interface SeriesHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** Upper bounds, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  /** Cluster aggregation adds workers' buckets, sums and counts, as for prom-client's histograms. */
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  private readonly upperBounds: readonly number[];
  private readonly series = new Map<string, Series>();

  constructor(config: SeriesHistogramConfig<L>) {
    const bounds = config.buckets;
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))) {
      throw new TypeError(`${config.name}: buckets must be finite numbers in increasing order, got ${JSON.stringify(bounds)}`);
    }
    if (config.labelNames.includes('le' as L)) throw new TypeError('le is a reserved label keyword');
    this.name = config.name;
    this.help = config.help;
    this.labelNames = Object.freeze([...config.labelNames]);
    this.upperBounds = Object.freeze([...bounds]);
    for (const registry of config.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of one label set, by value in `labelNames` order; the same object every time. */
  labels(...values: string[]): HistogramSeries {
    if (values.length !== this.labelNames.length) {
      throw new TypeError(`${this.name}: expected ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    }
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] as string));
      this.series.set(key, (s = new Series(Object.freeze(labels), this.upperBounds)));
    }
    return s;
  }

  /** prom-client's shape: the labels as an object, then the value. */
  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.labels(...this.labelNames.map((name) => labels[name])).observe(value);
  }

  /**
   * Series observed since the last reset, as prom-client's Histogram exports them: cumulative
   * `_bucket` values with `le` first, `+Inf`, then `_sum` and `_count`.
   */
  async get(): Promise<HistogramExport> {
    const values: HistogramSample[] = [];
    for (const s of this.series.values()) {
      if (s.count === 0) continue;
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i] as number;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket`, exemplar: null },
        { labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` },
        { labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Drops every observation; series handed out keep working and reappear once observed again. */
  reset(): void {
    for (const s of this.series.values()) s.zero();
  }
}
