/**
 * The metric contract (docs/metrics.md), registered on a caller-supplied prom-client Registry.
 * Creation is idempotent: a second sentinel on the same registry reuses the same metrics.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRIC_NAMES } from '../contract';
import { enableBatching, flushOnCollect } from './batch';
import { SeriesHistogram, type HistogramSeries } from './histogram';
import { METRIC_PREFIX } from '../policy/nested-options';
import { estimateRegisters, mergeRegisters } from './distinct-origins';

export const DEFAULT_PREFIX = 'cors_';
export const DEFAULT_PREFLIGHT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
export const DEFAULT_RESOLVER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A histogram by label set: cors-sentinel's SeriesHistogram, a prom-client Histogram, or an OTel histogram (./otel). */
export interface LabelledHistogram<L extends string> {
  labels(...values: string[]): HistogramSeries;
  observe(labels: Readonly<Record<L, string>>, value: number): void;
}

export interface CorsMetrics {
  readonly registry: Registry;
  readonly prefix: string;
  readonly requests: Counter<'route' | 'request_type' | 'outcome' | 'origin'>;
  readonly violations: Counter<'route' | 'request_type' | 'reason'>;
  /** Observed on every preflight: a series histogram (./histogram), exported as prom-client's Histogram would be. */
  readonly preflightDuration: LabelledHistogram<'route' | 'outcome'>;
  readonly nonCorsRequests: Counter<'route'>;
  readonly originLabelValues: Gauge;
  readonly originLabelLimit: Gauge;
  readonly originLabelOverflow: Counter;
  readonly resolverDuration: LabelledHistogram<'result'>;
  readonly resolverCache: Counter<'result'>;
  readonly responseFindings: Counter<'finding'>;
  readonly shadowDecisions: Counter<'route' | 'change'>;
  readonly configInfo: Gauge<'route' | 'policy_hash' | 'origin_policy' | 'credentials' | 'cross_origin_protection' | 'cross_origin_bypass'>;
  readonly distinctRejectedOrigins: Gauge<'window'>;
}

/** Reports `[window, HyperLogLog registers]` pairs at scrape time. */
export type DistinctSource = () => Iterable<readonly [string, Uint8Array]>;
const DISTINCT_SOURCES = new WeakMap<object, Set<DistinctSource>>();

/**
 * The merged registers per window of every sentinel on a registry's distinct-origins gauge (what a
 * cluster worker hands its primary), with the gauge's name.
 */
export function distinctRegisters(registry: Registry): Array<{ name: string; window: string; registers: Uint8Array }> {
  const out: Array<{ name: string; window: string; registers: Uint8Array }> = [];
  for (const metric of registry.getMetricsAsArray()) {
    const sources = DISTINCT_SOURCES.get(metric);
    if (sources === undefined) continue;
    for (const [window, registers] of mergeSources(sources)) out.push({ name: (metric as unknown as { name: string }).name, window, registers });
  }
  return out;
}

/** Sketches of one process share its hash seed: the union of what they saw is their register maximum. */
function mergeSources(sources: Iterable<DistinctSource>): Map<string, Uint8Array> {
  const merged = new Map<string, Uint8Array>();
  for (const source of sources) {
    for (const [window, registers] of source()) {
      const into = merged.get(window);
      if (into === undefined) merged.set(window, Uint8Array.from(registers));
      else mergeRegisters(into, registers);
    }
  }
  return merged;
}

/** Adds a source to the distinct-rejected-origins gauge (several sentinels may share a registry). */
export function addDistinctSource(metrics: CorsMetrics, source: DistinctSource): () => void {
  const sources = DISTINCT_SOURCES.get(metrics.distinctRejectedOrigins);
  sources?.add(source);
  return () => sources?.delete(source);
}

export interface CreateMetricsOptions {
  readonly registry?: Registry;
  readonly prefix?: string;
  readonly preflightBuckets?: readonly number[];
}

export function createCorsMetrics(options: CreateMetricsOptions = {}): CorsMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!METRIC_PREFIX.test(prefix)) throw new TypeError(`cors-sentinel: invalid metric prefix ${JSON.stringify(prefix)}`);

  function once<T extends object>(name: string, make: (config: { name: string; registers: Registry[] }) => T): T {
    const existing = registry.getSingleMetric(prefix + name);
    if (existing) return existing as unknown as T;
    return make({ name: prefix + name, registers: [registry] });
  }

  return {
    registry,
    prefix,
    // The per-request counters take batched counts (./batch), added up when they are collected.
    requests: once(METRIC_NAMES.requests, (c) => enableBatching(new Counter({
      ...c, collect: flushOnCollect, help: 'Cross-origin requests judged by the CORS policy, by route, request type, outcome and bounded origin label.',
      labelNames: ['route', 'request_type', 'outcome', 'origin'] as const,
    }))),
    violations: once(METRIC_NAMES.violations, (c) => enableBatching(new Counter({
      ...c, collect: flushOnCollect, help: 'Rejected cross-origin requests by reason; sums to the rejected requests.',
      labelNames: ['route', 'request_type', 'reason'] as const,
    }))),
    preflightDuration: once(METRIC_NAMES.preflightDuration, (c) => new SeriesHistogram({
      ...c, help: 'Time to answer CORS preflights, including origin resolver lookups.',
      labelNames: ['route', 'outcome'] as const, buckets: [...(options.preflightBuckets ?? DEFAULT_PREFLIGHT_BUCKETS)],
    })),
    nonCorsRequests: once(METRIC_NAMES.nonCorsRequests, (c) => enableBatching(new Counter({
      ...c, collect: flushOnCollect, help: 'Requests without CORS (no Origin, or same-origin), so that the cross-origin and preflight share of traffic is computable.',
      labelNames: ['route'] as const,
    }))),
    originLabelValues: once(METRIC_NAMES.originLabelValues, (c) => new Gauge({ ...c, aggregator: 'max', help: 'Origin label slots in use by origins that are not configured exactly.' })),
    originLabelLimit: once(METRIC_NAMES.originLabelLimit, (c) => new Gauge({ ...c, aggregator: 'max', help: 'Origin label slots available before origins are folded into __other__.' })),
    originLabelOverflow: once(METRIC_NAMES.originLabelOverflow, (c) => enableBatching(new Counter({
      ...c, collect: flushOnCollect, help: 'Requests whose origin was folded into __other__ (or its wildcard pattern) because the label slots were full.',
    }))),
    resolverDuration: once(METRIC_NAMES.resolverDuration, (c) => new Histogram({
      ...c, help: 'Origin resolver lookups (cache misses) by result: allowed, denied, error, timeout.',
      labelNames: ['result'] as const, buckets: DEFAULT_RESOLVER_BUCKETS,
    })),
    resolverCache: once(METRIC_NAMES.resolverCache, (c) => enableBatching(new Counter({
      ...c, collect: flushOnCollect, help: 'Origin resolver cache results: hit, miss, coalesced (joined an in-flight lookup).',
      labelNames: ['result'] as const,
    }))),
    responseFindings: once(METRIC_NAMES.responseFindings, (c) => new Counter({
      ...c, help: 'Problems found in CORS responses: stacked layers, missing Vary, dangerous grants.',
      labelNames: ['finding'] as const,
    })),
    shadowDecisions: once(METRIC_NAMES.shadowDecisions, (c) => new Counter({
      ...c, help: 'Requests on which the report-only candidate policy disagrees with the live answer: would_reject (live allowed), would_allow (live rejected).',
      labelNames: ['route', 'change'] as const,
    })),
    distinctRejectedOrigins: once(METRIC_NAMES.distinctRejectedOrigins, (c) => {
      const sources = new Set<DistinctSource>();
      const gauge = new Gauge({
        ...c, help: 'Estimated distinct rejected origins per sliding window (HyperLogLog), beyond the origin label cap.',
        labelNames: ['window'] as const,
        // Summing workers' estimates would count an origin seen by two workers twice: a cluster
        // primary merges the workers' registers instead (../cluster) and publishes this gauge itself.
        aggregator: 'omit',
        collect() {
          for (const [window, registers] of mergeSources(sources)) this.set({ window }, estimateRegisters(registers));
        },
      });
      DISTINCT_SOURCES.set(gauge, sources);
      return gauge;
    }),
    configInfo: once(METRIC_NAMES.configInfo, (c) => new Gauge({
      ...c, aggregator: 'max', help: 'The active CORS policy per route (value 1): its hash, origin policy, credentials, cross-origin protection mode and bypassed paths.',
      labelNames: ['route', 'policy_hash', 'origin_policy', 'credentials', 'cross_origin_protection', 'cross_origin_bypass'] as const,
    })),
  };
}
