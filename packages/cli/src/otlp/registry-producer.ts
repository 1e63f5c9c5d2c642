/**
 * A prom-client registry as an OpenTelemetry `MetricProducer`: the SDK's documented way to hand a
 * reader metrics that another library aggregated (the spec's "bridge"). The long-running commands
 * count on their prom-client registry as always (the same hot path, the same /metrics); at each OTLP
 * export the reader asks this producer, which turns what the registry would expose into OTLP data:
 * counters into monotonic cumulative sums, gauges into gauges, histograms into explicit-bucket
 * histograms with the same bounds, counts and sums. Names, label names and values are the exposition's
 * as they are (`cors_requests_total`, `cors_preflight_duration_seconds`), and no unit is set, so a
 * collector exporting to Prometheus without suffixes (docs/opentelemetry.md) gives the same series.
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import {
  AggregationTemporality, DataPointType,
  type CollectionResult, type DataPoint, type Histogram, type MetricData, type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import type { MetricObjectWithValues, MetricValue, MetricValueWithName, Registry } from 'prom-client';

export const SCOPE = { name: 'cors-sentinel' };

type Value = MetricValue<string> & Partial<Pick<MetricValueWithName<string>, 'metricName'>>;

function hrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
}

function attributes(labels: Readonly<Record<string, string | number | undefined>>, skip?: string): Attributes {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (key !== skip && value !== undefined) out[key] = String(value);
  return out;
}

/** A stable key of an attribute set, to gather a histogram's `_bucket`, `_sum` and `_count` samples. */
function keyOf(attrs: Attributes): string {
  return JSON.stringify(Object.keys(attrs).sort().map((k) => [k, attrs[k]]));
}

interface Building {
  attributes: Attributes;
  /** `le` → cumulative count */
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** prom-client's histogram samples (cumulative `_bucket{le}`, `_sum`, `_count`) as OTel points. */
function histogramPoints(values: readonly Value[], name: string, startTime: HrTime, endTime: HrTime): DataPoint<Histogram>[] {
  const byKey = new Map<string, Building>();
  const entry = (attrs: Attributes): Building => {
    const key = keyOf(attrs);
    let b = byKey.get(key);
    if (b === undefined) byKey.set(key, (b = { attributes: attrs, buckets: new Map(), sum: 0, count: 0 }));
    return b;
  };
  for (const v of values) {
    if (v.metricName === `${name}_bucket`) {
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      entry(attributes(v.labels, 'le')).buckets.set(le, v.value);
    } else if (v.metricName === `${name}_sum`) entry(attributes(v.labels)).sum = v.value;
    else if (v.metricName === `${name}_count`) entry(attributes(v.labels)).count = v.value;
  }
  return [...byKey.values()].map((b) => {
    const bounds = [...b.buckets.keys()].filter((le) => le !== Infinity).sort((x, y) => x - y);
    let below = 0;
    const counts = bounds.map((le) => {
      const cumulative = b.buckets.get(le) as number;
      const n = cumulative - below;
      below = cumulative;
      return n;
    });
    counts.push(b.count - below);
    return { attributes: b.attributes, startTime, endTime, value: { buckets: { boundaries: bounds, counts }, sum: b.sum, count: b.count } };
  });
}

function toMetricData(metric: MetricObjectWithValues<Value>, startTime: HrTime, endTime: HrTime): MetricData | undefined {
  const descriptor = { name: metric.name, description: metric.help, unit: '', valueType: ValueType.DOUBLE };
  const base = { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE };
  const points = (): DataPoint<number>[] => metric.values.map((v) => ({ attributes: attributes(v.labels), startTime, endTime, value: v.value }));
  switch (String(metric.type)) {
    case 'counter':
      return { ...base, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: points() };
    case 'gauge':
      return { ...base, dataPointType: DataPointType.GAUGE, dataPoints: points() };
    case 'histogram':
      return { ...base, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(metric.values, metric.name, startTime, endTime) };
    default:
      return undefined; // summaries: none in the contract
  }
}

export class RegistryProducer implements MetricProducer {
  /** Cumulative points start when the registry started counting: this process's start. */
  private readonly startTime = hrTime(performance.timeOrigin);

  constructor(
    private readonly registry: Registry,
    private readonly resource: Resource,
  ) {}

  async collect(): Promise<CollectionResult> {
    const metrics = (await this.registry.getMetricsAsJSON()) as unknown as Array<MetricObjectWithValues<Value>>;
    const endTime = hrTime(Date.now());
    const data = metrics.map((m) => toMetricData(m, this.startTime, endTime)).filter((m): m is MetricData => m !== undefined && m.dataPoints.length > 0);
    return { resourceMetrics: { resource: this.resource, scopeMetrics: [{ scope: SCOPE, metrics: data }] }, errors: [] };
  }
}
