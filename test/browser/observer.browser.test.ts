/**
 * Observer mode in front of the `cors` package, judged by Chromium: `corsObserver()` must not change
 * what the browser experiences (same successes, failures, readable headers, requests on the wire),
 * and its metrics must equal what the browser saw: every call the browser let through is counted
 * allowed, every call it blocked is counted rejected, with the reason the browser gave.
 */
import cors from 'cors';
import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { corsObserver } from '../../packages/cors-sentinel/src';
import {
  browserFetch,
  demoRoutes,
  describeBrowser,
  requestSeries,
  useBrowserSuite,
  violationSeries,
  type ApiServer,
  type BrowserResult,
  type FetchInit,
} from './harness';

interface Call {
  readonly name: string;
  readonly from: 'app.test' | 'evil.test';
  readonly path: string;
  readonly init: FetchInit;
  /** Log in first (a SameSite=Lax session cookie for api.app.test, same site as app.test). */
  readonly login?: boolean;
}

const JSON_PUT: FetchInit = { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' }, body: '{}' };

const CALLS: readonly Call[] = [
  { name: 'allowed simple GET', from: 'app.test', path: '/api/items', init: {} },
  { name: 'allowed PUT (preflighted)', from: 'app.test', path: '/api/items/1', init: JSON_PUT },
  { name: 'rejected origin, simple GET', from: 'evil.test', path: '/api/items', init: {} },
  { name: 'rejected origin, PUT', from: 'evil.test', path: '/api/items/1', init: JSON_PUT },
  {
    name: 'allowed origin, unlisted header', from: 'app.test', path: '/api/items/1',
    init: { ...JSON_PUT, headers: { 'Content-Type': 'application/json', 'X-Forbidden': '1' } },
  },
  { name: 'allowed origin, unlisted method', from: 'app.test', path: '/api/items/1', init: { method: 'DELETE' } },
  { name: 'cookie with a non-credentialed policy', from: 'app.test', path: '/api/profile', init: { credentials: 'include' }, login: true },
];

interface Seen {
  readonly result: BrowserResult;
  readonly wire: string[];
  readonly corsErrors: string[];
}

describeBrowser('Chromium against corsObserver in front of the cors package', () => {
  const suite = useBrowserSuite();

  const corsOptions = () => ({
    origin: [suite.origin('app.test')],
    methods: ['GET', 'PUT', 'POST'],
    allowedHeaders: ['Content-Type', 'X-Custom'],
    exposedHeaders: ['X-Total-Count'],
  });

  async function runCalls(api: ApiServer): Promise<Seen[]> {
    const out: Seen[] = [];
    for (const call of CALLS) {
      // A fresh context per call: no cookie, HTTP cache or preflight cache carries over.
      const p = await suite.open(suite.origin(call.from));
      if (call.login) await login(p.page, api, suite.origin(call.from));
      const before = api.wire.requests.length;
      const result = await browserFetch(p.page, `${api.url('api.app.test')}${call.path}`, call.init);
      out.push({
        result,
        wire: api.wire.requests.slice(before).map((w) => `${w.method} ${w.path}${w.cookie ? ' +cookie' : ''}`),
        // Chromium's explanation, with this API's port taken out so that two APIs compare equal.
        corsErrors: p.corsErrors().map((l) => l.split(api.url('api.app.test')).join('API')),
      });
      await p.context.close();
    }
    return out;
  }

  async function login(page: Page, api: ApiServer, origin: string): Promise<void> {
    await page.goto(`${api.url('api.app.test')}/login`);
    await page.goto(`${origin}/`);
  }

  test('browser outcome unchanged; metrics equal what the browser saw', async () => {
    const APP = suite.origin('app.test');
    const EVIL = suite.origin('evil.test');
    const plain = await suite.api({
      setup(app) {
        app.use(cors(corsOptions()));
        demoRoutes(app);
      },
    });
    const observer = suite.closeAfterTest(corsObserver({ metrics: { registry: new Registry() }, logger: false, expectedOrigins: [APP] }));
    const observed = await suite.api({
      metricsHandler: observer.metricsHandler(),
      setup(app) {
        app.use(observer);
        app.use(cors(corsOptions()));
        demoRoutes(app);
      },
    });

    const without = await runCalls(plain);
    const withObserver = await runCalls(observed);

    // 1. The observer changes nothing the browser can tell.
    expect(withObserver).toEqual(without);

    // 2. What the browser saw (identical for both servers).
    expect(without.map((s) => [s.result.ok, s.wire])).toEqual([
      [true, ['GET /api/items']],
      [true, ['OPTIONS /api/items/1', 'PUT /api/items/1']],
      [false, ['GET /api/items']],
      [false, ['OPTIONS /api/items/1']], // cors answers 204 without ACAO: the browser stops there
      [false, ['OPTIONS /api/items/1']],
      [false, ['OPTIONS /api/items/1']],
      [false, ['GET /api/profile +cookie']],
    ]);
    expect(without[0]?.result.headers['x-total-count']).toBe('3');
    expect(without.map((s) => s.corsErrors.length)).toEqual([0, 0, 1, 1, 1, 1, 1]);
    expect(without[4]?.corsErrors[0]).toContain('Request header field x-forbidden is not allowed by Access-Control-Allow-Headers');
    expect(without[5]?.corsErrors[0]).toContain('Method DELETE is not allowed by Access-Control-Allow-Methods');
    expect(without[6]?.corsErrors[0]).toContain("'Access-Control-Allow-Credentials' header in the response is ''");

    // 3. The observer's metrics say the same, call by call.
    const m = await observed.scrape();
    expect(m.requests).toEqual(
      requestSeries(
        ['default', 'actual', 'allowed', APP, 2], // GET, PUT
        ['default', 'preflight', 'allowed', APP, 1], // the PUT's preflight
        ['default', 'actual', 'rejected', EVIL, 1],
        ['default', 'preflight', 'rejected', EVIL, 1],
        ['default', 'preflight', 'rejected', APP, 2], // unlisted header, unlisted method
        ['default', 'actual', 'rejected', APP, 1], // cookie without Access-Control-Allow-Credentials
      ),
    );
    expect(m.violations).toEqual(
      violationSeries(
        ['default', 'actual', 'origin_not_allowed', 1],
        ['default', 'preflight', 'origin_not_allowed', 1],
        ['default', 'preflight', 'header_not_allowed', 1],
        ['default', 'preflight', 'method_not_allowed', 1],
        ['default', 'actual', 'credentials_not_allowed', 1],
      ),
    );
    // Every call the browser blocked is exactly one rejected decision; every one it allowed, none.
    const blocked = without.filter((s) => !s.result.ok).length;
    expect(m.sum('cors_requests_total', { outcome: 'rejected' })).toBe(blocked);
    expect(m.sum('cors_violations_total')).toBe(blocked);
    // Allowed decisions = requests on the wire for the calls the browser let through.
    expect(m.sum('cors_requests_total', { outcome: 'allowed' })).toBe(without.filter((s) => s.result.ok).flatMap((s) => s.wire).length);
    // The /login navigation is same-site but carries no Origin: non-CORS.
    expect(m.series('cors_non_cors_requests_total')).toEqual({ 'route=default': 1 });
    // And what it found wrong with the cors package's answers.
    expect(m.series('cors_response_findings_total')).toEqual({ 'finding=rejected_preflight_reveals_policy': 1 });
  });
});
