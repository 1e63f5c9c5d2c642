import { Registry } from 'prom-client';
import { OriginLabeler, type LabelResult } from '../../src/metrics/origin-labeler';

function sync(result: LabelResult | Promise<LabelResult>): LabelResult {
  if (result instanceof Promise) throw new Error('expected a synchronous label');
  return result;
}
import { decideSync, metricSum, preflight, req, testSentinel } from '../helpers/sentinel';

describe('OriginLabeler', () => {
  const d = (origin: string, originSource?: 'wildcard', originPattern?: string) => ({ origin, originSource, originPattern });
  it('keeps configured origins, gives K sticky slots, then folds', () => {
    const l = new OriginLabeler(2, new Set(['https://app.example.com']));
    expect(sync(l.label(d('https://app.example.com'))).label).toBe('https://app.example.com');
    expect(sync(l.label(d('https://a.example'))).label).toBe('https://a.example');
    expect(sync(l.label(d('https://b.example'))).label).toBe('https://b.example');
    expect(sync(l.label(d('https://c.example')))).toEqual({ label: '__other__', overflow: true, newSlot: false });
    expect(sync(l.label(d('https://x.tenant.example.com', 'wildcard', 'https://*.tenant.example.com'))).label).toBe('https://*.tenant.example.com');
    expect(sync(l.label(d('https://a.example'))).label).toBe('https://a.example');
    expect(sync(l.label(d('null'))).label).toBe('null');
    expect(sync(l.label(d('__invalid__'))).label).toBe('__invalid__');
    expect(l.slotsUsed).toBe(2);
  });
});

describe('origin flood', () => {
  it('100k distinct origins leave at most K + a few series, and an early origin keeps its own', async () => {
    const registry = new Registry();
    const s = testSentinel({ origins: ['https://app.example.com', 'https://*.tenant.example.com'], metrics: { registry, originLabelLimit: 20 } });
    s.record(decideSync(s, req({ origin: 'https://partner.example.net' })), 0);
    for (let i = 0; i < 100_000; i++) {
      const origin = i % 3 === 0 ? `https://t${i}.tenant.example.com` : `https://p${i}.attacker.test`;
      const r = i % 2 === 0 ? req({ origin }) : preflight(origin);
      s.record(decideSync(s, r), 0.0001);
    }
    s.record(decideSync(s, req({ origin: 'https://partner.example.net' })), 0);
    const series = (await registry.getSingleMetric('cors_requests_total')!.get()).values;
    const origins = new Set(series.map((v) => v.labels.origin));
    expect(origins.size).toBeLessThanOrEqual(20 + 3);
    expect(origins).toContain('__other__');
    expect(origins).toContain('https://*.tenant.example.com');
    expect(await metricSum(registry, 'cors_requests_total', { origin: 'https://partner.example.net' })).toBe(2);
    expect(await metricSum(registry, 'cors_requests_total')).toBe(100_002);
    expect(await metricSum(registry, 'cors_origin_label_values')).toBe(20);
    expect(await metricSum(registry, 'cors_origin_label_overflow_total')).toBeGreaterThan(99_000);
    const text = await registry.metrics();
    expect(text.length).toBeLessThan(32_000);
  });
});
