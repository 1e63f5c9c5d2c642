/**
 * Counting on the request path without prom-client's per-call cost. A prom-client child's `inc()`
 * hashes its label object into a string and looks that string up in a dictionary on every call:
 * about 70 % of what recording a request cost (docs/BENCHMARKS.md, profile). Here each series is a
 * plain number incremented in place and handed to the prom-client counter when the registry collects
 * it (every scrape, `registry.metrics()`, `getMetricsAsJSON()`, cluster aggregation), so what is
 * exported is unchanged, only added up later.
 */
import type { Counter } from 'prom-client';

type Flush = () => void;
const FLUSHERS = new WeakMap<object, Set<Flush>>();

/**
 * The `collect` hook for a counter created by createCorsMetrics(): it runs the flushes registered on
 * it. The set is created with the metric, so a counter registered by someone else is never batched.
 */
export function flushOnCollect(this: object): void {
  const flushers = FLUSHERS.get(this);
  if (flushers !== undefined) for (const flush of flushers) flush();
}

/** Marks a counter created with `collect: flushOnCollect` as able to take batched counts. */
export function enableBatching<T extends object>(metric: T): T {
  FLUSHERS.set(metric, new Set());
  return metric;
}

/** One series of a counter, counted on the hot path with `series.inc()`. */
export interface CounterSeries {
  inc(): void;
}

class PendingSeries implements CounterSeries {
  pending = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}
  inc(): void {
    this.pending++;
  }
}

class DirectSeries implements CounterSeries {
  constructor(private readonly child: Counter.Internal) {}
  inc(): void {
    this.child.inc();
  }
}

/**
 * The series of one counter that one recorder counts into. Several recorders may share a counter
 * (one registry, several middlewares): each adds its own pending counts when the counter is collected.
 */
export class CounterBatch<L extends string> {
  private readonly series: PendingSeries[] = [];
  private readonly flushers: Set<Flush> | undefined;
  private readonly flush = (): void => {
    for (const s of this.series) {
      if (s.pending === 0) continue;
      const n = s.pending;
      s.pending = 0;
      this.counter.inc(s.labels as Partial<Record<L, string>>, n);
    }
  };

  constructor(private readonly counter: Counter<L>) {
    this.flushers = FLUSHERS.get(counter);
    this.flushers?.add(this.flush);
  }

  /** A series for one label set (the caller keeps it; asking twice makes two series that add up). */
  open(labels: Readonly<Record<L, string>>): CounterSeries {
    if (this.flushers === undefined) return new DirectSeries(this.counter.labels(labels as Partial<Record<L, string>>));
    const s = new PendingSeries(labels);
    this.series.push(s);
    return s;
  }

  /**
   * Drops a series for good (an origin that lost its label): its pending count is handed over, then
   * the label set is removed from the counter, so that series never pile up.
   */
  remove(series: CounterSeries): void {
    if (!(series instanceof PendingSeries)) return;
    const i = this.series.indexOf(series);
    if (i === -1) return;
    this.series.splice(i, 1);
    if (series.pending > 0) this.counter.inc(series.labels as Partial<Record<L, string>>, series.pending);
    this.counter.remove(series.labels as Partial<Record<L, string>>);
  }

  /** Hands over what is pending and stops taking part in collection: nothing counted is lost. */
  close(): void {
    this.flush();
    this.flushers?.delete(this.flush);
  }
}
