/**
 * SeriesHistogram against prom-client's own Histogram: the same observations must give the same
 * exposition text, the same JSON, and the same cluster aggregate, so that swapping one for the other
 * on the request path changes nothing a scraper, a dashboard or a cluster primary sees.
 */
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from '../../packages/cors-sentinel/src/metrics/histogram';

const BUCKETS = [0.0001, 0.001, 0.01, 0.1, 1];
const OBSERVATIONS: ReadonlyArray<readonly [string, string, number]> = [
  ['default', 'allowed', 0.00005],
  ['default', 'allowed', 0.0001], // exactly on a bound: counted in that bucket (le is inclusive)
  ['default', 'allowed', 0.0042],
  ['default', 'rejected', 0.5],
  ['billing', 'allowed', 7], // above every bound: +Inf only
  ['billing', 'allowed', 0],
  ['name "quoted"\\ and\nnewline', 'allowed', 0.02], // label values that must be escaped
];

function pair(registerBoth = true) {
  const theirs = new Registry();
  const ours = new Registry();
  const config = { name: 'cors_preflight_duration_seconds', help: 'Time to answer CORS preflights.', labelNames: ['route', 'outcome'] as const, buckets: BUCKETS };
  const reference = new Histogram({ ...config, buckets: [...BUCKETS], registers: [theirs] });
  const series = new SeriesHistogram({ ...config, registers: registerBoth ? [ours] : [] });
  return { theirs, ours, reference, series };
}

function observeAll(reference: Histogram<'route' | 'outcome'>, series: SeriesHistogram<'route' | 'outcome'>, from = OBSERVATIONS): void {
  for (const [route, outcome, value] of from) {
    reference.labels(route, outcome).observe(value);
    series.labels(route, outcome).observe(value);
  }
}

describe('SeriesHistogram', () => {
  it('exports the same text and JSON as prom-client’s Histogram for the same observations', async () => {
    const { theirs, ours, reference, series } = pair();
    observeAll(reference, series);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it('exports nothing before the first observation, like prom-client (a bound series alone is not a sample)', async () => {
    const { theirs, ours, reference, series } = pair();
    reference.labels('default', 'allowed');
    series.labels('default', 'allowed');
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).not.toMatch(/_bucket/);
  });

  it('aggregates across cluster workers as prom-client’s Histogram does (summed buckets, sums and counts)', async () => {
    const a = pair();
    const b = pair();
    observeAll(a.reference, a.series);
    observeAll(b.reference, b.series, OBSERVATIONS.slice(2));
    const theirs = AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]);
    const ours = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toMatch(/cors_preflight_duration_seconds_count\{route="default",outcome="allowed"\} 4/);
  });

  it('keeps handed-out series working across registry.resetMetrics(), exporting only what came after', async () => {
    const { theirs, ours, reference, series } = pair();
    const bound = series.labels('default', 'allowed');
    observeAll(reference, series);
    theirs.resetMetrics();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    bound.observe(0.003);
    reference.labels('default', 'allowed').observe(0.003);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toMatch(/_count\{route="default",outcome="allowed"\} 1\n/);
  });

  it('hands out one series per label set, and takes prom-client’s object form too', async () => {
    const { ours, series } = pair();
    expect(series.labels('default', 'allowed')).toBe(series.labels('default', 'allowed'));
    series.observe({ route: 'default', outcome: 'allowed' }, 0.5);
    series.labels('default', 'allowed').observe(0.5);
    expect(await ours.metrics()).toMatch(/cors_preflight_duration_seconds_sum\{route="default",outcome="allowed"\} 1\n/);
  });

  it('refuses what prom-client refuses: non-finite values, wrong label counts, unordered buckets, an `le` label', () => {
    const { series } = pair(false);
    expect(() => series.labels('default', 'allowed').observe(Number.NaN)).toThrow(TypeError);
    expect(() => series.labels('default', 'allowed').observe(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => series.labels('default')).toThrow(/expected 2 label values/);
    const base = { name: 'h', help: 'h', registers: [] };
    expect(() => new SeriesHistogram({ ...base, labelNames: [], buckets: [1, 0.5] })).toThrow(/increasing order/);
    expect(() => new SeriesHistogram({ ...base, labelNames: [], buckets: [] })).toThrow(/increasing order/);
    expect(() => new SeriesHistogram({ ...base, labelNames: ['le'], buckets: [1] })).toThrow(/reserved/);
  });

  it('is registered once: a second metric of the same name on the registry is refused by prom-client', () => {
    const { ours } = pair();
    expect(() => new SeriesHistogram({ name: 'cors_preflight_duration_seconds', help: 'x', labelNames: [], buckets: [1], registers: [ours] })).toThrow(/already been registered/);
  });
});
