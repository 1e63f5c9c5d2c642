/**
 * Batched counting: what a scrape shows must be what was recorded — with several sentinels on one
 * registry, after close(), and with a counter that someone else registered under our name.
 */
import { Counter, Registry } from 'prom-client';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { decideSync, preflight, req } from '../support/sentinel';
import { sumSamples } from '../support/metrics-text';

const APP = 'https://app.example.com';

function sentinelOn(registry: Registry) {
  return createSentinel({ logger: false, origins: [APP], metrics: { registry } });
}

function send(s: ReturnType<typeof sentinelOn>, n: number, origin = APP): void {
  for (let i = 0; i < n; i++) s.record(decideSync(s, req({ origin })), 0, origin);
}

describe('batched counters', () => {
  it('show every recorded request at each scrape, and only once', async () => {
    const registry = new Registry();
    const s = sentinelOn(registry);
    send(s, 3);
    send(s, 2, 'https://evil.example');
    s.record(decideSync(s, req({})), 0);
    let text = await registry.metrics();
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'allowed', origin: APP })).toBe(3);
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'rejected', origin: 'https://evil.example' })).toBe(2);
    expect(sumSamples(text, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(2);
    expect(sumSamples(text, 'cors_non_cors_requests_total')).toBe(1);
    send(s, 4);
    text = await registry.metrics();
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'allowed', origin: APP })).toBe(7);
    // A scrape with nothing new changes nothing.
    expect(sumSamples(await registry.metrics(), 'cors_requests_total', { outcome: 'allowed', origin: APP })).toBe(7);
    // The JSON form (what cluster workers send the primary) collects the same way.
    send(s, 1);
    const json = await registry.getMetricsAsJSON();
    const requests = json.find((m) => m.name === 'cors_requests_total');
    expect(requests?.values.find((v) => v.labels.origin === APP)?.value).toBe(8);
    s.close();
  });

  it('adds up the counts of several sentinels sharing a registry', async () => {
    const registry = new Registry();
    const a = sentinelOn(registry);
    const b = sentinelOn(registry);
    send(a, 5);
    send(b, 6);
    expect(sumSamples(await registry.metrics(), 'cors_requests_total', { origin: APP })).toBe(11);
    a.close();
    b.close();
  });

  it('hands over pending counts on close() and stops counting into the registry afterwards', async () => {
    const registry = new Registry();
    const closing = sentinelOn(registry);
    const staying = sentinelOn(registry);
    send(closing, 5);
    closing.close();
    send(staying, 1);
    expect(sumSamples(await registry.metrics(), 'cors_requests_total', { origin: APP })).toBe(6);
    staying.close();
  });

  it('counts directly into a same-named counter that someone else registered', async () => {
    const registry = new Registry();
    new Counter({ name: 'cors_requests_total', help: 'registered by the app', labelNames: ['route', 'request_type', 'outcome', 'origin'], registers: [registry] });
    const s = sentinelOn(registry);
    send(s, 3);
    expect(sumSamples(await registry.metrics(), 'cors_requests_total', { origin: APP })).toBe(3);
    s.close();
  });

  it('counts resolver cache results and folded origins in batches too', async () => {
    const registry = new Registry();
    const s = createSentinel({
      logger: false,
      resolveOrigin: (origin) => origin.endsWith('.tenant.example'),
      metrics: { registry, originLabelLimit: 1 },
    });
    for (const origin of ['https://a.tenant.example', 'https://a.tenant.example', 'https://b.tenant.example', 'https://c.tenant.example']) {
      s.record(decideSync(s, preflight(origin, 'PUT')), 0.001, origin);
    }
    const text = await registry.metrics();
    expect(sumSamples(text, 'cors_resolver_cache_total', { result: 'miss' })).toBe(3);
    expect(sumSamples(text, 'cors_resolver_cache_total', { result: 'hit' })).toBe(1);
    expect(sumSamples(text, 'cors_origin_label_overflow_total')).toBe(2);
    expect(sumSamples(text, 'cors_requests_total', { origin: '__other__' })).toBe(2);
    expect(sumSamples(text, 'cors_preflight_duration_seconds_count')).toBe(4);
    s.close();
  });
});
