/** The observer's core (src/observer/observer.ts): what it records beyond the audit of one response. */
import { Registry } from 'prom-client';
import { createObserver } from '../../packages/cors-sentinel/src/observer/observer';
import { metricSum } from '../support/sentinel';

it('counts distinct invalid origins as distinct rejected origins, as enforce mode does', async () => {
  const registry = new Registry();
  const observer = createObserver({ expectedOrigins: ['https://app.example.com'], logger: false, metrics: { registry } });
  try {
    // 300 distinct headers that are no serialised origin: one `__invalid__` label, 300 origins all the same.
    for (let i = 0; i < 300; i++) {
      const origin = `https://p${i}.evil.test/path`;
      observer.begin({ method: 'GET', path: '/api/items', origin, host: 'api.example.com' }, origin).complete({ status: 200, header: () => undefined });
    }
    expect(await metricSum(registry, 'cors_requests_total', { origin: '__invalid__', outcome: 'rejected' })).toBe(300);
    const estimate = await metricSum(registry, 'cors_distinct_rejected_origins', { window: '5m' });
    expect(Math.abs(estimate - 300)).toBeLessThan(30);
  } finally {
    observer.close();
  }
});
