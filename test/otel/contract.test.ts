/**
 * The metric contract through OpenTelemetry: the same requests, over real sockets, through a sentinel
 * on a prom-client registry and one on a real SDK MeterProvider read by the OTel Prometheus exporter.
 * Both expositions must hold the same series (names, label names and values) with the same values;
 * preflight and resolver durations differ by their timing only, so for those the count and `+Inf`
 * bucket are compared here and the buckets themselves on fixed observations below.
 */
import { Registry } from 'prom-client';
import { corsSentinelHandler, type CorsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { createCorsMetrics } from '../../packages/cors-sentinel/src/metrics/metrics';
import { createOtelCorsMetrics } from '../../packages/cors-sentinel/src/metrics/otel';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { listen, send } from '../support/http';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { otelPipeline, seriesOf, type OtelPipeline } from './pipeline';

const policy: CorsSentinelOptions = {
  origins: ['https://app.example.com'],
  methods: ['GET', 'POST', 'PUT'],
  allowedHeaders: ['content-type'],
  credentials: true,
  resolveOrigin: async (origin) => origin === 'https://tenant.example.org',
  routes: [{ path: '/admin/*', name: 'admin', origins: ['https://admin.example.com'] }],
  reportOnly: { origins: ['https://app.example.com'], methods: ['GET'] },
  logger: false,
};

/** Requests that reach every series of the sentinel: allowed, rejected by each reason, folded origins, non-CORS, shadow changes, resolver lookups. */
async function traffic(port: number): Promise<void> {
  const preflight = (origin: string, method = 'PUT', headers?: string, path = '/items') =>
    send(port, path, { Origin: origin, 'Access-Control-Request-Method': method, ...(headers ? { 'Access-Control-Request-Headers': headers } : {}) }, 'OPTIONS');
  for (let i = 0; i < 3; i++) await preflight('https://app.example.com');
  await preflight('https://app.example.com', 'PUT', 'x-secret');
  await preflight('https://app.example.com', 'DELETE');
  await send(port, '/items', { Origin: 'https://app.example.com' }, 'POST');
  await send(port, '/items', { Origin: 'https://tenant.example.org' });
  await send(port, '/items', { Origin: 'https://tenant.example.org' });
  await send(port, '/admin/users', { Origin: 'https://app.example.com' });
  await send(port, '/admin/users', { Origin: 'https://admin.example.com' });
  await send(port, '/items', { Origin: 'null' });
  await send(port, '/items', { Origin: 'not an origin' });
  await send(port, '/items', { Origin: 'http://app.example.com' });
  // More rejected origins than label slots: folded into __other__, counted in the overflow and the sketch.
  for (let i = 0; i < 6; i++) await send(port, '/items', { Origin: `https://scan${i}.attacker.test` });
  await send(port, '/items');
  await send(port, '/admin/users');
}

async function serve(options: CorsSentinelOptions): Promise<{ handler: CorsSentinelHandler; port: number; close(): Promise<void> }> {
  const handler = corsSentinelHandler(options, (_req, res) => res.end('ok'));
  const running = await listen(handler);
  return { handler, port: running.port, close: async () => { handler.close(); await running.close(); } };
}

const TIMED = /^cors_(preflight|resolver)_duration_seconds_(sum|bucket\{.*le="(?!\+Inf)[^"]*")/;

describe('the metric contract through an OTel MeterProvider', () => {
  let otel: OtelPipeline;
  let promText: string;
  let otelText: string;

  beforeAll(async () => {
    otel = otelPipeline();
    const registry = new Registry();
    const prom = await serve({ ...policy, metrics: { registry, originLabelLimit: 2 } });
    const viaOtel = await serve({ ...policy, metrics: { meterProvider: otel.provider, originLabelLimit: 2 } });
    try {
      await traffic(prom.port);
      await traffic(viaOtel.port);
      await prom.handler.settleReportOnly();
      await viaOtel.handler.settleReportOnly();
      promText = await registry.metrics();
      otelText = await otel.scrape();
    } finally {
      await prom.close();
      await viaOtel.close();
    }
  });
  afterAll(() => otel.shutdown());

  it('shows exactly the series of the prom-client path, with the same values', () => {
    const prom = seriesOf(promText);
    const viaOtel = seriesOf(otelText);
    expect([...viaOtel.keys()].sort()).toEqual([...prom.keys()].sort());
    const untimed = (m: Map<string, number>) => [...m].filter(([id]) => !TIMED.test(id)).sort();
    expect(untimed(viaOtel)).toEqual(untimed(prom));
  });

  it('covers the contract: every kind of series was reached, through the guard', () => {
    const viaOtel = seriesOf(otelText);
    const names = new Set([...viaOtel.keys()].map((id) => id.slice(0, id.indexOf('{'))));
    for (const name of [
      'cors_requests_total', 'cors_violations_total', 'cors_preflight_duration_seconds_bucket', 'cors_non_cors_requests_total',
      'cors_origin_label_values', 'cors_origin_label_limit', 'cors_origin_label_overflow_total', 'cors_resolver_duration_seconds_count',
      'cors_resolver_cache_total', 'cors_shadow_decisions_total', 'cors_config_info', 'cors_distinct_rejected_origins',
    ]) expect(names).toContain(name);
    // The guard sits before the instruments: 6 scanning origins, 2 slots, the rest folded.
    const scanSeries = [...viaOtel.keys()].filter((id) => id.startsWith('cors_requests_total') && id.includes('attacker.test'));
    expect(scanSeries.length).toBeLessThanOrEqual(2);
    expect(viaOtel.get('cors_origin_label_limit{}')).toBe(2);
    expect(viaOtel.get('cors_origin_label_overflow_total{}')).toBeGreaterThan(0);
    expect(viaOtel.get('cors_distinct_rejected_origins{window="5m"}')).toBeGreaterThanOrEqual(8);
  });

  it('gives histograms the same buckets for the same observations', async () => {
    const { provider, scrape, shutdown } = otelPipeline();
    const registry = new Registry();
    const prom = createCorsMetrics({ registry, preflightBuckets: [0.001, 0.01, 0.1] });
    const viaOtel = createOtelCorsMetrics(provider, { preflightBuckets: [0.001, 0.01, 0.1] });
    for (const m of [prom, viaOtel]) {
      for (const v of [0.0005, 0.001, 0.002, 0.05, 0.3]) m.preflightDuration.labels('default', 'allowed').observe(v);
      for (const v of [0.004, 7]) m.resolverDuration.observe({ result: 'timeout' }, v);
    }
    const histograms = (text: string) => [...seriesOf(text)].filter(([id]) => id.includes('_duration_seconds')).sort();
    expect(histograms(await scrape())).toEqual(histograms(await registry.metrics()));
    expect(seriesOf(await scrape()).get('cors_preflight_duration_seconds_bucket{le="0.001",outcome="allowed",route="default"}')).toBe(2);
    await shutdown();
  });

  it('shares instruments between sentinels on one provider, as on one registry', async () => {
    const { provider, scrape, shutdown } = otelPipeline();
    const a = createSentinel({ origins: ['https://a.example'], logger: false, metrics: { meterProvider: provider } });
    const b = createSentinel({ origins: ['https://b.example'], logger: false, metrics: { meterProvider: provider } });
    for (const s of [a, b]) {
      const handling = s.handle({ method: 'GET', path: '/', origin: 'https://a.example' });
      handling.complete(await handling.decision, 'applied');
    }
    expect(seriesOf(await scrape()).get('cors_requests_total{origin="https://a.example",outcome="allowed",request_type="actual",route="default"}')).toBe(1);
    a.close();
    b.close();
    await shutdown();
  });

  it('refuses a provider beside a registry or cluster, and a prefix OTel cannot name', () => {
    const { provider } = otelPipeline();
    const base = { origins: ['https://a.example'], logger: false as const };
    expect(() => createSentinel({ ...base, metrics: { meterProvider: provider, registry: new Registry() } })).toThrow(CorsConfigError);
    expect(() => createSentinel({ ...base, metrics: { meterProvider: provider, cluster: true } })).toThrow(CorsConfigError);
    expect(() => createSentinel({ ...base, metrics: { meterProvider: provider, prefix: 'my:cors_' } })).toThrow(/letters, digits and _/);
    expect(() => createSentinel({ ...base, metrics: { meterProvider: {} as never } })).toThrow(/MeterProvider/);
    const s = createSentinel({ ...base, metrics: { meterProvider: provider } });
    expect(() => s.metricsHandler()).toThrow(/meterProvider/);
    s.close();
  });
});

describe('the contract across collections and readers', () => {
  it('is cumulative across two scrapes, and the same for a second reader that only collects at the end', async () => {
    const exporters = [0, 1].map(() => new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, withoutTargetInfo: true }));
    const provider = new MeterProvider({ readers: exporters });
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);
    const scrape = async (i: number) => seriesOf(serializer.serialize((await (exporters[i] as PrometheusExporter).collect()).resourceMetrics));
    const untimed = (m: Map<string, number>) => [...m].filter(([id]) => !TIMED.test(id)).sort();
    const registry = new Registry();
    const prom = await serve({ ...policy, metrics: { registry, originLabelLimit: 2 } });
    const viaOtel = await serve({ ...policy, metrics: { meterProvider: provider, originLabelLimit: 2 } });
    try {
      for (const round of [1, 2]) {
        await traffic(prom.port);
        await traffic(viaOtel.port);
        await prom.handler.settleReportOnly();
        await viaOtel.handler.settleReportOnly();
        const expected = untimed(seriesOf(await registry.metrics()));
        expect(untimed(await scrape(0))).toEqual(expected);
        if (round === 2) expect(untimed(await scrape(1))).toEqual(expected);
      }
      expect((await scrape(1)).get('cors_preflight_duration_seconds_count{outcome="allowed",route="default"}')).toBe(6);
    } finally {
      await prom.close();
      await viaOtel.close();
      await provider.shutdown();
    }
  });
});

describe('the exporter settings that keep the contract', () => {
  it('without them, series carry otel_scope_* labels and target_info appears; with them, neither', async () => {
    for (const keep of [false, true]) {
      const { provider, scrape, shutdown } = otelPipeline(keep ? {} : { withoutScopeInfo: false, withoutTargetInfo: false });
      const s = createSentinel({ origins: ['https://a.example'], logger: false, metrics: { meterProvider: provider } });
      const handling = s.handle({ method: 'GET', path: '/', origin: 'https://a.example' });
      handling.complete(await handling.decision, 'applied');
      const ids = [...seriesOf(await scrape()).keys()];
      expect(ids.some((id) => id.startsWith('target_info'))).toBe(!keep);
      expect(ids.filter((id) => id.startsWith('cors_requests_total')).every((id) => id.includes('otel_scope_name="cors-sentinel"'))).toBe(!keep);
      s.close();
      await shutdown();
    }
  });
});

describe('series of origins that lost their label', () => {
  it('leave the prom-client exposition; the OTel SDK keeps exporting them frozen at their last value (docs/opentelemetry.md)', async () => {
    const { provider, scrape, shutdown } = otelPipeline();
    const registry = new Registry();
    const options = { origins: ['https://app.example.com'], logger: false as const };
    const metrics = { originLabelLimit: 2, originLabelHoldMs: 100 };
    const prom = createSentinel({ ...options, metrics: { ...metrics, registry } });
    const viaOtel = createSentinel({ ...options, metrics: { ...metrics, meterProvider: provider } });
    const scanner = `cors_requests_total{origin="https://scan.attacker.test",outcome="rejected",request_type="actual",route="default"}`;
    for (const s of [prom, viaOtel]) {
      const handling = s.handle({ method: 'GET', path: '/', origin: 'https://scan.attacker.test' });
      handling.complete(await handling.decision, 'applied');
    }
    expect(seriesOf(await registry.metrics()).get(scanner)).toBe(1);
    expect(seriesOf(await scrape()).get(scanner)).toBe(1);
    // Unused for 5 hold periods, the label is released; its series is removed one hold period later.
    const deadline = Date.now() + 20_000;
    while (seriesOf(await registry.metrics()).has(scanner) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(seriesOf(await registry.metrics()).has(scanner)).toBe(false);
    expect(seriesOf(await scrape()).get(scanner)).toBe(1);
    expect(seriesOf(await scrape()).get('cors_origin_label_values{}')).toBe(0);
    prom.close();
    viaOtel.close();
    await shutdown();
  });
});
