/** sentinel.handle(): the port's primitive for callers that apply decisions themselves. */
import { metricSum, req, testSentinel } from './support/sentinel';

const APP = 'https://app.example.com';

describe('sentinel.handle()', () => {
  it('decides synchronously for listed origins and records once on completion', async () => {
    const s = testSentinel({ origins: [APP] });
    const h = s.handle(req({ origin: APP, path: '/a' }));
    expect(h.decision).not.toBeInstanceOf(Promise);
    const d = h.decision as Exclude<typeof h.decision, Promise<unknown>>;
    expect(d.outcome).toBe('allowed');
    h.complete(d, 'applied');
    h.complete(d, 'applied'); // a second completion is ignored
    expect(await metricSum(s.registry!, 'cors_requests_total', { outcome: 'allowed' })).toBe(1);
    s.close();
  });

  it('counts a late decision as a finding, not as an answered request', async () => {
    const s = testSentinel({ origins: [APP], resolveOrigin: async (origin) => origin === 'https://tenant.example' });
    const h = s.handle(req({ origin: 'https://tenant.example', path: '/a' }));
    expect(h.decision).toBeInstanceOf(Promise);
    h.complete(await h.decision, 'late');
    expect(await metricSum(s.registry!, 'cors_response_findings_total', { finding: 'late_decision' })).toBe(1);
    expect(await metricSum(s.registry!, 'cors_requests_total')).toBe(0);
    s.close();
  });

  it('compares with the report-only candidate on completion', async () => {
    const s = testSentinel({ origins: [APP, 'https://old.example'], reportOnly: { origins: [APP] } });
    const h = s.handle(req({ origin: 'https://old.example', path: '/a' }));
    h.complete(h.decision as Exclude<typeof h.decision, Promise<unknown>>, 'applied');
    await s.settleReportOnly();
    expect(await metricSum(s.registry!, 'cors_shadow_decisions_total', { change: 'would_reject' })).toBe(1);
    s.close();
  });
});
