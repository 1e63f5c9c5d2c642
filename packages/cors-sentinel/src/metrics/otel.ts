/**
 * The metric contract through an OpenTelemetry `MeterProvider` (metrics.meterProvider) instead of a
 * prom-client registry the caller scrapes.
 *
 * Counts are kept exactly as on the prom-client path — the origin label guard, the distinct-origin
 * sketch and the batched per-request counters run first, on a private registry nobody scrapes — so a
 * request costs what it costs there and a flood of origins creates no attribute set beyond the guard.
 * Every counter and gauge of that registry (the contract's, and those registered later on it, e.g. the
 * mount check's or cross-origin protection's) is handed to OTel as an asynchronous instrument
 * (`ObservableCounter` for cumulative counts, `ObservableGauge`) read at each collection. OTel has no
 * asynchronous histogram: the two histograms count in place too and hand their observations to OTel
 * `Histogram`s (the contract's buckets as explicit bucket boundaries) when the SDK collects
 * (./otel-histogram), so no attribute set is hashed per request. Names are the contract's full names
 * (`cors_requests_total`, `cors_preflight_duration_seconds`) with no OTel unit, so the OTel Prometheus
 * exporter (and the collector's) shows the exact series of docs/metrics.md (docs/opentelemetry.md).
 *
 * Only structural types here: the library loads without `@opentelemetry/api` installed.
 */
import { Registry } from 'prom-client';
import type { CorsMetrics, CreateMetricsOptions, LabelledHistogram } from './metrics';
import { createCorsMetrics, DEFAULT_PREFLIGHT_BUCKETS, DEFAULT_RESOLVER_BUCKETS, DEFAULT_PREFIX } from './metrics';
import { BufferedOtelHistogram, type HistogramLike, type OtelAttributes } from './otel-histogram';

export type { OtelAttributes };

/** What cors-sentinel uses of `@opentelemetry/api`'s `MeterProvider` (any API 1.x provider fits). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

export interface ObservableResultLike {
  observe(value: number, attributes?: OtelAttributes): void;
}

interface ObservableLike {
  addCallback(callback: (result: ObservableResultLike) => void | Promise<void>): void;
}

interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface MeterLike {
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableCounter(name: string, options?: InstrumentOptions): ObservableLike;
  createObservableGauge(name: string, options?: InstrumentOptions): ObservableLike;
}

export const OTEL_METER_NAME = 'cors-sentinel';

/** A metric name OTel accepts as an instrument name and Prometheus as a series name: no `:`. */
export const OTEL_METRIC_PREFIX = /^[a-zA-Z][a-zA-Z0-9_]*$/;

export function isMeterProvider(value: unknown): value is MeterProviderLike {
  return typeof value === 'object' && value !== null && typeof (value as { getMeter?: unknown }).getMeter === 'function';
}

/** One set of instruments per provider and prefix: a second sentinel reuses them, as on a shared registry. */
const BRIDGED = new WeakMap<MeterProviderLike, Map<string, CorsMetrics>>();

export function createOtelCorsMetrics(provider: MeterProviderLike, options: Omit<CreateMetricsOptions, 'registry'> = {}): CorsMetrics {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!OTEL_METRIC_PREFIX.test(prefix)) throw new TypeError(`cors-sentinel: invalid metric prefix ${JSON.stringify(prefix)} for metrics.meterProvider (letters, digits and _)`);
  let byPrefix = BRIDGED.get(provider);
  if (byPrefix === undefined) BRIDGED.set(provider, (byPrefix = new Map<string, CorsMetrics>()));
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) return existing;
  const meter = provider.getMeter(OTEL_METER_NAME);
  const registry = new BridgeRegistry(meter);
  const base = createCorsMetrics({ ...options, registry });
  const preflightDuration = otelHistogram(meter, base.preflightDuration, options.preflightBuckets ?? DEFAULT_PREFLIGHT_BUCKETS, ['route', 'outcome']);
  const resolverDuration = otelHistogram(meter, base.resolverDuration, DEFAULT_RESOLVER_BUCKETS, ['result']);
  registry.beforeObserve(() => {
    preflightDuration.drain();
    resolverDuration.drain();
  });
  const metrics: CorsMetrics = { ...base, preflightDuration, resolverDuration };
  byPrefix.set(prefix, metrics);
  return metrics;
}

interface PromMetric {
  readonly name: string;
  readonly help: string;
  readonly type?: string;
  get(): Promise<{ type: string; values: ReadonlyArray<{ labels: Readonly<Record<string, string | number>>; value: number }> }>;
}

/**
 * A registry nobody scrapes: each counter or gauge registered on it gets an OTel asynchronous
 * instrument of the same name that reports its series at collection time.
 */
class BridgeRegistry extends Registry {
  private readonly hooks: Array<() => void> = [];

  constructor(private readonly meter: MeterLike) {
    super();
  }

  /**
   * Runs `hook` at the start of every observable callback of this registry. The SDK runs all of a
   * collection's callbacks before it reads any synchronous instrument, so what a hook records there
   * is in that collection; the first callback does the work, the others find nothing pending.
   */
  beforeObserve(hook: () => void): void {
    this.hooks.push(hook);
  }

  override registerMetric(metric: Parameters<Registry['registerMetric']>[0]): void {
    super.registerMetric(metric);
    const m = metric as unknown as PromMetric;
    const kind = m.type ?? (metric as unknown as { constructor: { name: string } }).constructor.name.toLowerCase();
    // Histograms stay here unread: OTel has no asynchronous histogram, the sentinel records its two into OTel ones.
    if (kind !== 'counter' && kind !== 'gauge') return;
    const options = { description: m.help };
    const instrument = kind === 'counter' ? this.meter.createObservableCounter(m.name, options) : this.meter.createObservableGauge(m.name, options);
    instrument.addCallback(async (result) => {
      for (const hook of this.hooks) hook();
      const { values } = await m.get();
      for (const { labels, value } of values) result.observe(value, stringAttributes(labels));
    });
  }
}

function stringAttributes(labels: Readonly<Record<string, string | number>>): OtelAttributes {
  const out: OtelAttributes = {};
  for (const key of Object.keys(labels)) out[key] = String(labels[key]);
  return out;
}

/** The OTel twin of a histogram of the private registry (same name, help and buckets). */
function otelHistogram<L extends string>(meter: MeterLike, twin: LabelledHistogram<L>, buckets: readonly number[], labelNames: readonly L[]): BufferedOtelHistogram<L> {
  const { name, help } = twin as unknown as PromMetric;
  const histogram = meter.createHistogram(name, { description: help, advice: { explicitBucketBoundaries: [...buckets] } });
  return new BufferedOtelHistogram(histogram, labelNames, buckets);
}
