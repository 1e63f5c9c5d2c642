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

describe('sentinel.serve(): the writer', () => {
  type Res = { calls: string[]; failWith?: Error };
  function writer(withRespond: boolean) {
    return {
      committed: () => false,
      allowOriginSet: () => false,
      writeHeaders: (res: Res) => void res.calls.push('writeHeaders'),
      end: (res: Res, status: number) => void res.calls.push(`end ${status}`),
      pass: (res: Res) => res.calls.push('pass'),
      ...(withRespond
        ? {
            respond(res: Res, _d: unknown, status: number) {
              if (res.failWith) throw res.failWith;
              res.calls.push(`respond ${status}`);
            },
          }
        : {}),
    };
  }
  const pre = { method: 'OPTIONS', origin: APP, path: '/a', accessControlRequestMethod: 'PUT' };

  it('ends a preflight through respond() when the writer has it, and through writeHeaders() then end() when not', () => {
    const s = testSentinel({ origins: [APP], methods: ['PUT'] });
    const once: Res = { calls: [] };
    s.serve(req(pre), once, undefined, writer(true));
    expect(once.calls).toEqual(['respond 204']);
    const twice: Res = { calls: [] };
    s.serve(req(pre), twice, undefined, writer(false));
    expect(twice.calls).toEqual(['writeHeaders', 'end 204']);
    s.close();
  });

  it('passes an actual request on after writeHeaders(), never through respond()', () => {
    const s = testSentinel({ origins: [APP] });
    const res: Res = { calls: [] };
    s.serve(req({ origin: APP, path: '/a' }), res, undefined, writer(true));
    expect(res.calls).toEqual(['writeHeaders', 'pass']);
    s.close();
  });

  it('asks a writer whose writes throw when committed only before a decision that writes nothing', () => {
    const asked: string[] = [];
    const throwing = { ...writer(true), throwsWhenCommitted: true, committed: (res: Res) => (asked.push(res.calls.join() || 'fresh'), false) };
    const listed = testSentinel({ origins: [APP], methods: ['PUT'] });
    listed.serve(req(pre), { calls: [] }, undefined, throwing);
    listed.serve(req({ origin: APP, path: '/a' }), { calls: [] }, undefined, throwing);
    expect(asked).toEqual([]); // both write headers: a committed response would make the first write throw
    const corsOff = testSentinel({ origin: false }); // CORS off: no headers, no Vary
    const d = corsOff.decide(req({ path: '/a' })) as Exclude<ReturnType<typeof corsOff.decide>, Promise<unknown>>;
    expect([d.headers.length, d.vary.length, d.passThrough]).toEqual([0, 0, true]);
    corsOff.serve(req({ path: '/a' }), { calls: [] }, undefined, throwing);
    expect(asked).toEqual(['fresh']); // nothing to write: the response is asked
    listed.close();
    corsOff.close();
  });

  it('counts a respond() that finds the response committed as a late decision, and does not throw', async () => {
    const s = testSentinel({ origins: [APP], methods: ['PUT'] });
    const res: Res = { calls: [], failWith: Object.assign(new Error('sent'), { code: 'ERR_HTTP_HEADERS_SENT' }) };
    expect(() => s.serve(req(pre), res, undefined, writer(true))).not.toThrow();
    expect(await metricSum(s.registry!, 'cors_response_findings_total', { finding: 'late_decision' })).toBe(1);
    expect(await metricSum(s.registry!, 'cors_requests_total')).toBe(0);
    s.close();
  });
});
