/**
 * The suite can tell right from wrong: the same browser calls against cors-sentinel and against a
 * deliberately broken copy of it. The broken copies are cors-sentinel with one header tampered with
 * by a test-only middleware installed before it (it intercepts `res.setHeader`), so the policy, the
 * routes and the metrics are identical and only the header under test differs.
 */
import type { ServerResponse } from 'node:http';
import type express from 'express';
import { Registry } from 'prom-client';
import { corsSentinel, CorsConfigError } from '../../packages/cors-sentinel/src';
import { browserFetch, demoRoutes, describeBrowser, requestSeries, useBrowserSuite, type ApiServer } from './harness';

/** Test-only: rewrites (or drops, when `rewrite` returns undefined) one response header as it is set. */
function tamper(name: string, rewrite: (value: unknown) => unknown): express.RequestHandler {
  return (_req, res, next) => {
    const setHeader = res.setHeader.bind(res) as ServerResponse['setHeader'];
    res.setHeader = ((n: string, v: unknown) => {
      if (n.toLowerCase() !== name.toLowerCase()) return setHeader(n, v as string);
      const out = rewrite(v);
      return out === undefined ? res : setHeader(n, out as string);
    }) as typeof res.setHeader;
    next();
  };
}

describeBrowser('Chromium catches broken CORS headers that cors-sentinel gets right', () => {
  const suite = useBrowserSuite();

  /** cors-sentinel behind an optional tamperer, with a cacheable profile route. */
  async function api(options: Parameters<typeof corsSentinel>[0], broken?: express.RequestHandler): Promise<ApiServer> {
    const cors = suite.closeAfterTest(corsSentinel({ metrics: { registry: new Registry() }, logger: false, ...options }));
    return suite.api({
      metricsHandler: cors.metricsHandler(),
      setup(app) {
        if (broken) app.use(broken);
        app.use(cors);
        // A response that shared caches and the browser may reuse for ten minutes.
        app.get('/api/cached', (req, res) => {
          res.setHeader('Cache-Control', 'public, max-age=600');
          res.json({ for: req.headers.origin ?? null });
        });
        demoRoutes(app);
      },
    });
  }

  /**
   * `Vary: Origin` matters. Two allowed frontends on one site (`app.test` and `www.app.test` share
   * Chromium's HTTP cache partition, which is keyed by top-level site) fetch one cacheable URL.
   * Without Vary, the second is served the first one's cached response, whose ACAO names the other
   * origin: the browser blocks it, and the server never even sees the request, so the metrics
   * cannot count it either.
   */
  describe('Vary: Origin on a cacheable response', () => {
    async function twoFrontends(a: ApiServer) {
      const APP = suite.origin('app.test');
      const WWW = suite.origin('www.app.test');
      const first = await suite.open(APP);
      const second = await first.open(WWW); // same context: same HTTP cache
      const url = `${a.url('api.app.test')}/api/cached`;
      const r1 = await browserFetch(first.page, url, { cache: 'force-cache' });
      const r2 = await browserFetch(second.page, url, { cache: 'force-cache' });
      return { APP, WWW, r1, r2, second };
    }

    test('cors-sentinel (Vary: Origin): both frontends succeed, each request reaches the server', async () => {
      const a = await api({ origins: [suite.origin('app.test'), suite.origin('www.app.test')] });
      const { APP, WWW, r1, r2, second } = await twoFrontends(a);

      expect(r1.ok && r2.ok).toBe(true);
      expect(JSON.parse(r2.body ?? '')).toEqual({ for: WWW });
      expect(second.corsErrors()).toEqual([]);
      expect(a.wire.requests.map((w) => `${w.method} ${w.path} ${w.origin}`)).toEqual([`GET /api/cached ${APP}`, `GET /api/cached ${WWW}`]);
      const m = await a.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1], ['default', 'actual', 'allowed', WWW, 1]));
    });

    test('broken copy without Vary: the second frontend gets the cached answer for the first and the browser blocks it', async () => {
      const a = await api({ origins: [suite.origin('app.test'), suite.origin('www.app.test')] }, tamper('Vary', () => undefined));
      const { APP, r1, r2, second } = await twoFrontends(a);

      expect(r1.ok).toBe(true);
      expect(r2).toMatchObject({ ok: false, error: 'TypeError: Failed to fetch' });
      expect(second.corsErrors()).toEqual([
        expect.stringContaining(`The 'Access-Control-Allow-Origin' header has a value '${APP}' that is not equal to the supplied origin`),
      ]);
      // Served from the browser's cache: one request on the wire, one in the metrics, two in the browser.
      expect(a.wire.lines()).toEqual(['GET /api/cached']);
      const m = await a.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1]));
    });
  });

  /** `Access-Control-Allow-Origin: *` with `Access-Control-Allow-Credentials: true` is refused by browsers. */
  describe('ACAO * with credentials', () => {
    const APP = () => suite.origin('app.localhost');
    async function credentialedGet(a: ApiServer) {
      const p = await suite.open(APP());
      await p.page.goto(`${a.url('api.app.localhost')}/login`); // sets a SameSite=Lax session cookie
      await p.page.goto(`${APP()}/`);
      const r = await browserFetch(p.page, `${a.url('api.app.localhost')}/api/profile`, { credentials: 'include' });
      return { p, r };
    }

    test('cors-sentinel refuses to be configured that way', () => {
      expect(() => corsSentinel({ origins: '*', credentials: true, metrics: false, logger: false })).toThrow(CorsConfigError);
    });

    test('cors-sentinel (ACAO = the origin): the credentialed fetch succeeds with the cookie', async () => {
      const a = await api({ origins: [APP()], credentials: true });
      const { p, r } = await credentialedGet(a);

      expect(r.ok).toBe(true);
      expect(JSON.parse(r.body ?? '')).toMatchObject({ cookie: 'sid=s3cret' });
      expect(p.corsErrors()).toEqual([]);
      expect(a.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual(['GET /login -', 'GET /api/profile sid=s3cret']);
      const m = await a.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP(), 1]));
    });

    test('broken copy answering ACAO * with ACAC true: the browser refuses the response', async () => {
      const a = await api({ origins: [APP()], credentials: true }, tamper('Access-Control-Allow-Origin', () => '*'));
      const { p, r } = await credentialedGet(a);

      expect(r).toMatchObject({ ok: false, error: 'TypeError: Failed to fetch' });
      expect(p.corsErrors()).toEqual([
        expect.stringContaining("The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'"),
      ]);
      // The request (with the cookie) reached the app: with '*' + credentials, only the browser stands in the way.
      expect(a.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual(['GET /login -', 'GET /api/profile sid=s3cret']);
      // The engine decided "allowed" and counted it; the tampered header is what the browser judged.
      const m = await a.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP(), 1]));
    });
  });
});
