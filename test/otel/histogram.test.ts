/**
 * The contract's histograms on the OTel path count in place and reach the SDK at collection
 * (packages/cors-sentinel/src/metrics/otel-histogram.ts). Through a real MeterProvider: the buckets and
 * counts equal prom-client's Histogram on the same observations, the sum equals it up to rounding,
 * OTLP's minimum and maximum are the observed ones; cumulative across collections and the same for
 * every reader of the provider.
 */
import { Histogram, Registry } from 'prom-client';
import {
  AggregationTemporality, InMemoryMetricExporter, MeterProvider, MetricReader, PeriodicExportingMetricReader,
  DataPointType, type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createOtelCorsMetrics } from '../../packages/cors-sentinel/src/metrics/otel';
import { otelPipeline, seriesOf } from './pipeline';

const BUCKETS = [0.001, 0.01, 0.1];
/** Values on bounds, inside buckets, above the last bound, zero; the same value repeated. */
const FIRST = [0, 0.0005, 0.001, 0.001, 0.0011, 0.002, 0.0095, 0.01, 0.05, 0.05, 0.05, 0.1, 0.3, 7];
const SECOND = [0.0002, 0.02, 0.02, 0.03, 2];

/** A pull reader whose collect() the test calls (the SDK's MetricReader, as a custom reader would be). */
class TestReader extends MetricReader {
  protected onForceFlush = async () => undefined;
  protected onShutdown = async () => undefined;
}

function histogramSeries(text: string): Array<[string, number]> {
  return [...seriesOf(text)].filter(([id]) => id.startsWith('cors_preflight_duration_seconds')).sort();
}

function expectSameHistograms(otel: Array<[string, number]>, prom: Array<[string, number]>): void {
  expect(otel.map(([id]) => id)).toEqual(prom.map(([id]) => id));
  otel.forEach(([id, value], i) => {
    if (id.includes('_sum')) expect(value).toBeCloseTo(prom[i]?.[1] as number, 12);
    else expect(value).toBe(prom[i]?.[1]);
  });
}

describe('contract histograms on the OTel path', () => {
  it('equal prom-client Histogram buckets across two collections, for every reader', async () => {
    const exporters = [0, 1].map(() => new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true }));
    const provider = new MeterProvider({ readers: exporters });
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
    const scrape = async (exporter: PrometheusExporter) => serializer.serialize((await exporter.collect()).resourceMetrics);
    const registry = new Registry();
    const prom = new Histogram({ name: 'cors_preflight_duration_seconds', help: 'h', labelNames: ['route', 'outcome'], buckets: BUCKETS, registers: [registry] });
    const viaOtel = createOtelCorsMetrics(provider, { preflightBuckets: BUCKETS });
    const observeBoth = (values: readonly number[]) => {
      for (const v of values) {
        prom.labels('default', 'allowed').observe(v);
        viaOtel.preflightDuration.labels('default', 'allowed').observe(v);
      }
    };

    observeBoth(FIRST);
    prom.labels('admin', 'rejected').observe(0.004);
    viaOtel.preflightDuration.observe({ route: 'admin', outcome: 'rejected' }, 0.004);
    expectSameHistograms(histogramSeries(await scrape(exporters[0] as PrometheusExporter)), histogramSeries(await registry.metrics()));
    observeBoth(SECOND);
    // Cumulative: the second collection holds both batches; the second reader, which never collected
    // before, gets what the first one's collection handed to the SDK too.
    for (const exporter of exporters) expectSameHistograms(histogramSeries(await scrape(exporter)), histogramSeries(await registry.metrics()));
    expect(seriesOf(await scrape(exporters[1] as PrometheusExporter)).get('cors_preflight_duration_seconds_count{outcome="allowed",route="default"}')).toBe(FIRST.length + SECOND.length);
    await provider.shutdown();
  });

  it('reach a reader that collects after another one drained them, and keep OTLP min and max exact', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const periodic = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const pull = new TestReader();
    const provider = new MeterProvider({ readers: [pull, periodic] });
    const viaOtel = createOtelCorsMetrics(provider, { preflightBuckets: BUCKETS });
    for (const v of FIRST) viaOtel.preflightDuration.labels('default', 'allowed').observe(v);
    await pull.collect(); // drains the pending observations into the SDK
    for (const v of SECOND) viaOtel.preflightDuration.labels('default', 'allowed').observe(v);
    await pull.collect();
    await periodic.forceFlush();
    const all = [...FIRST, ...SECOND];
    const exported = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    const histogram = exported.find((m) => m.descriptor.name === 'cors_preflight_duration_seconds') as HistogramMetricData;
    expect(histogram.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = histogram.dataPoints[0]?.value;
    expect(point?.count).toBe(all.length);
    expect(point?.min).toBe(Math.min(...all));
    expect(point?.max).toBe(Math.max(...all));
    expect(point?.sum).toBeCloseTo(all.reduce((a, b) => a + b, 0), 12);
    const expected = [...BUCKETS, Infinity].map((le, i) => all.filter((v) => v <= le && (i === 0 || v > (BUCKETS[i - 1] as number))).length);
    expect(point?.buckets.counts).toEqual(expected);
    await provider.shutdown();
  });

  it('ignore what the SDK would drop (NaN, negative) and keep fixed memory while nobody collects', async () => {
    const { provider, scrape, shutdown } = otelPipeline();
    const viaOtel = createOtelCorsMetrics(provider, { preflightBuckets: BUCKETS });
    const series = viaOtel.preflightDuration.labels('default', 'allowed');
    for (const v of [Number.NaN, -1, Infinity]) series.observe(v);
    for (let i = 0; i < 100_000; i++) series.observe(0.0003);
    const seen = seriesOf(await scrape());
    expect(seen.get('cors_preflight_duration_seconds_count{outcome="allowed",route="default"}')).toBe(100_000);
    expect(seen.get('cors_preflight_duration_seconds_bucket{le="0.001",outcome="allowed",route="default"}')).toBe(100_000);
    expect(seen.get('cors_preflight_duration_seconds_sum{outcome="allowed",route="default"}')).toBeCloseTo(30, 9);
    await shutdown();
  });
});
