import { Registry } from 'prom-client';
import { OriginLabeler, type LabelResult } from '../../packages/cors-sentinel/src/metrics/origin-labeler';
import { LabelGuard } from '../../packages/cors-sentinel/src/metrics/label-guard';

function sync(result: LabelResult | Promise<LabelResult>): LabelResult {
  if (result instanceof Promise) throw new Error('expected a synchronous label');
  return result;
}
import { decideSync, metricSum, preflight, req, testSentinel } from '../support/sentinel';

describe('OriginLabeler', () => {
  const d = (origin: string, originSource?: 'wildcard', originPattern?: string) => ({ origin, originSource, originPattern });
  it('keeps configured origins, gives free slots at once, then folds', () => {
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
  it('100k distinct origins leave at most 2K + a few series (K labelled, the rest retiring), and an allowed origin keeps its own (reserved slot)', async () => {
    const registry = new Registry();
    const s = testSentinel({ origins: ['https://app.example.com', 'https://*.tenant.example.com'], metrics: { registry, originLabelLimit: 20 } });
    s.record(decideSync(s, req({ origin: 'https://partner.tenant.example.com' })), 0);
    for (let i = 0; i < 100_000; i++) {
      const origin = i % 3 === 0 ? `https://t${i}.tenant.example.com` : `https://p${i}.attacker.test`;
      const r = i % 2 === 0 ? req({ origin }) : preflight(origin);
      s.record(decideSync(s, r), 0.0001);
    }
    s.record(decideSync(s, req({ origin: 'https://partner.tenant.example.com' })), 0);
    const series = (await registry.getSingleMetric('cors_requests_total')!.get()).values;
    const origins = new Set(series.map((v) => v.labels.origin));
    // Allowed tenant origins took reserved slots back from rejected ones; those series retire after one hold period.
    expect(origins.size).toBeLessThanOrEqual(2 * 20 + 3);
    expect(origins).toContain('__other__');
    expect(origins).toContain('https://*.tenant.example.com');
    expect(await metricSum(registry, 'cors_requests_total', { origin: 'https://partner.tenant.example.com' })).toBe(2);
    expect(await metricSum(registry, 'cors_requests_total')).toBe(100_002);
    expect(await metricSum(registry, 'cors_origin_label_values')).toBe(20);
    expect(await metricSum(registry, 'cors_origin_label_overflow_total')).toBeGreaterThan(99_000);
    const text = await registry.metrics();
    expect(text.length).toBeLessThan(32_000);
  });
});

describe('LabelGuard (blinding)', () => {
  it('junk that took every slot slowly cannot keep a burst out; slots come free when the pressure ends', () => {
    let now = 0;
    const guard = new LabelGuard(10, 1000, now);
    for (let i = 0; i < 10; i++) expect(guard.claim(`https://junk${i}.test`, false).granted).toBe(true);
    expect(guard.state().full).toBe(true);
    // The attacker bursts now: folded at first, counted as a candidate.
    for (let i = 0; i < 50; i++) expect(guard.claim('https://attacker.test', false).granted).toBe(false);
    now += 200;
    expect(guard.tick(now)).toEqual([]); // the junk holds its slots for at least holdMs
    now += 1000;
    const released = guard.tick(now);
    expect(released).toHaveLength(1);
    expect(guard.has('https://attacker.test')).toBe(true);
    // An origin that was allowed takes a reserved slot even when every slot is held.
    expect(guard.claim('https://tenant.example', true).granted).toBe(true);
    expect(guard.wasAllowed('https://tenant.example')).toBe(true);
    // No pressure for 5 hold periods: the heavy-hitter slots are released, the reserved one stays.
    for (let t = 0; t < 6; t++) guard.tick((now += 1000));
    expect(guard.used).toBe(1);
    expect(guard.state().full).toBe(false);
  });

  it('holds a slot at least holdMs and needs twice the weakest holder\'s count (bounded churn)', () => {
    let now = 0;
    const guard = new LabelGuard(2, 1000, now);
    guard.claim('https://a.test', false);
    guard.claim('https://b.test', false);
    for (let i = 0; i < 10; i++) guard.seen('https://a.test', false);
    for (let i = 0; i < 10; i++) guard.seen('https://b.test', false);
    for (let i = 0; i < 15; i++) guard.claim('https://c.test', false);
    guard.tick((now += 1500));
    expect(guard.has('https://c.test')).toBe(false); // 15 is not more than twice 11 (b's count, decayed or not)
  });
});
