/**
 * Allowed and rejected origins, preflights, exposed headers and wildcard tenants, judged by
 * Chromium. Each test asserts three things: what the page's script saw, what reached the API
 * (counted before the CORS layer) and what cors-sentinel's `/metrics` recorded.
 */
import {
  browserFetch,
  browserXhr,
  describeBrowser,
  requestSeries,
  startPageServer,
  useBrowserSuite,
  violationSeries,
  type PageServer,
} from './harness';

const JSON_PUT = {
  method: 'PUT',
  headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
  body: JSON.stringify({ name: 'widget' }),
};

describeBrowser('Chromium against cors-sentinel: requests', () => {
  const suite = useBrowserSuite();

  /** The policy most tests use: one frontend, tenant subdomains, a small method and header list. */
  function policy() {
    return {
      origins: [suite.origin('app.test'), `http://*.tenant.test:${suite.pages.port}`],
      methods: ['GET', 'PUT', 'POST'],
      allowedHeaders: ['content-type', 'x-custom'],
      exposedHeaders: ['X-Total-Count'],
    };
  }

  describe('allowed origin', () => {
    test('a simple GET succeeds, with no preflight', async () => {
      const APP = suite.origin('app.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(APP);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items`);

      expect(r.ok).toBe(true);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body ?? '')).toMatchObject({ method: 'GET', path: '/api/items' });
      expect(page.corsErrors()).toEqual([]);
      expect(api.wire.lines()).toEqual(['GET /api/items']);
      expect(api.wire.requests[0]?.origin).toBe(APP);

      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1]));
      expect(m.violations).toEqual({});
    });

    test('the same with XMLHttpRequest', async () => {
      const APP = suite.origin('app.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(APP);

      const r = await browserXhr(page.page, `${api.url('api.app.test')}/api/items`);

      expect(r).toMatchObject({ ok: true, status: 200 });
      expect(api.wire.lines()).toEqual(['GET /api/items']);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1]));
      expect(m.violations).toEqual({});
    });

    test('a PUT with JSON and a custom header sends exactly one preflight, then succeeds', async () => {
      const APP = suite.origin('app.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(APP);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items/1`, JSON_PUT);

      expect(r.ok).toBe(true);
      expect(JSON.parse(r.body ?? '')).toEqual({ method: 'PUT', path: '/api/items/1', cookie: null, body: { name: 'widget' } });
      expect(api.wire.lines()).toEqual(['OPTIONS /api/items/1', 'PUT /api/items/1']);
      const preflight = api.wire.requests[0];
      expect(preflight?.accessControlRequestMethod).toBe('PUT');
      expect(preflight?.accessControlRequestHeaders).toBe('content-type,x-custom');
      // Everything is on loopback, so Chromium's Private Network Access check never asks.
      expect(api.wire.requests.every((w) => w.accessControlRequestPrivateNetwork === undefined)).toBe(true);

      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'allowed', APP, 1], ['default', 'actual', 'allowed', APP, 1]));
      expect(m.violations).toEqual({});
      expect(m.sum('cors_preflight_duration_seconds_count')).toBe(1);
    });
  });

  describe('rejected origin', () => {
    test('a simple GET from an unlisted origin fails in the browser; the request still ran on the server', async () => {
      const EVIL = suite.origin('evil.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(EVIL);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items`);

      expect(r).toMatchObject({ ok: false, error: 'TypeError: Failed to fetch' });
      expect(page.corsErrors()).toEqual([
        expect.stringContaining(`from origin '${EVIL}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present`),
      ]);
      // CORS is not access control: a simple request reaches the app; only the browser hides the answer.
      expect(api.wire.lines()).toEqual(['GET /api/items']);

      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'rejected', EVIL, 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'actual', 'origin_not_allowed', 1]));
    });

    test('with rejectActualRequests the simple request is refused before the app, and the browser still fails', async () => {
      const EVIL = suite.origin('evil.test');
      let handled = 0;
      const { api } = await suite.sentinelApi({ ...policy(), rejectActualRequests: true }, (app) => {
        app.get('/api/items', (_req, res) => {
          handled += 1;
          res.json([]);
        });
      });
      const page = await suite.open(EVIL);

      const r = await browserXhr(page.page, `${api.url('api.app.test')}/api/items`);

      expect(r).toMatchObject({ ok: false, status: 0 });
      expect(api.wire.lines()).toEqual(['GET /api/items']);
      expect(handled).toBe(0);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'rejected', EVIL, 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'actual', 'origin_not_allowed', 1]));
    });

    test('a rejected preflight keeps the actual request from ever being sent', async () => {
      const EVIL = suite.origin('evil.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(EVIL);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items/1`, JSON_PUT);

      expect(r).toMatchObject({ ok: false, error: 'TypeError: Failed to fetch' });
      expect(page.corsErrors()).toEqual([expect.stringContaining("Response to preflight request doesn't pass access control check")]);
      expect(api.wire.lines()).toEqual(['OPTIONS /api/items/1']);
      expect(api.wire.count('PUT')).toBe(0);

      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'rejected', EVIL, 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'preflight', 'origin_not_allowed', 1]));
    });

    test('an allowed origin asking for an unlisted header: preflight rejected as header_not_allowed, no PUT', async () => {
      const APP = suite.origin('app.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(APP);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items/1`, {
        ...JSON_PUT,
        headers: { 'Content-Type': 'application/json', 'X-Forbidden': '1' },
      });

      expect(r.ok).toBe(false);
      expect(api.wire.lines()).toEqual(['OPTIONS /api/items/1']);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'rejected', APP, 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'preflight', 'header_not_allowed', 1]));
    });

    test('an allowed origin using an unlisted method: preflight rejected as method_not_allowed, no DELETE', async () => {
      const APP = suite.origin('app.test');
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(APP);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items/1`, { method: 'DELETE' });

      expect(r.ok).toBe(false);
      expect(api.wire.lines()).toEqual(['OPTIONS /api/items/1']);
      expect(api.wire.requests[0]?.accessControlRequestMethod).toBe('DELETE');
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'rejected', APP, 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'preflight', 'method_not_allowed', 1]));
    });
  });

  describe('origins the browser spells for us', () => {
    test('an IDN origin configured in Unicode matches the punycode Origin that Chromium sends', async () => {
      const P = suite.pages.port;
      const PUNY = `http://xn--bcher-kva.test:${P}`;
      const { api } = await suite.sentinelApi({ ...policy(), origins: [`http://bücher.test:${P}`] });
      const page = await suite.open(`http://bücher.test:${P}`);

      const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items/1`, JSON_PUT);

      expect(r.ok).toBe(true);
      expect(api.wire.requests.map((w) => `${w.method} ${w.origin}`)).toEqual([`OPTIONS ${PUNY}`, `PUT ${PUNY}`]);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'allowed', PUNY, 1], ['default', 'actual', 'allowed', PUNY, 1]));
    });

    test("the API's own page: Chromium sends Origin on a same-origin POST, and it is counted as non-CORS", async () => {
      const { api } = await suite.sentinelApi(policy());
      const API = api.url('api.app.test');
      const page = await suite.open(suite.origin('app.test'));
      await page.page.goto(`${API}/login`); // an HTML page served by the API itself

      const r = await browserFetch(page.page, `${API}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });

      expect(r.ok).toBe(true);
      expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.origin ?? '-'}`)).toEqual(['GET /login -', `POST /api/events ${API}`]);
      const m = await api.scrape();
      expect(m.requests).toEqual({});
      expect(m.series('cors_non_cors_requests_total')).toEqual({ 'route=default': 2 });
    });

    test('a sandboxed iframe sends Origin: null; refused by default and counted as null_origin', async () => {
      const { api } = await suite.sentinelApi(policy());
      const page = await suite.open(suite.origin('app.test'));
      await page.page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { body: { innerHTML: string } } }).document;
        doc.body.innerHTML = '<iframe sandbox="allow-scripts" srcdoc="<p>sandboxed</p>"></iframe>';
      });
      const frame = await (await page.page.waitForSelector('iframe')).contentFrame();
      if (frame === null) throw new Error('no iframe');
      await frame.waitForLoadState();

      const r = await frame.evaluate(async (u) => {
        try {
          await fetch(u);
          return 'ok';
        } catch (e) {
          return String(e);
        }
      }, `${api.url('api.app.test')}/api/items`);

      expect(r).toBe('TypeError: Failed to fetch');
      expect(page.corsErrors()).toEqual([expect.stringContaining("from origin 'null' has been blocked by CORS policy")]);
      expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.origin}`)).toEqual(['GET /api/items null']);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'rejected', 'null', 1]));
      expect(m.violations).toEqual(violationSeries(['default', 'actual', 'null_origin', 1]));
    });
  });

  describe('exposed headers', () => {
    test('script reads a response header only when it is exposed; the wire carried both', async () => {
      const APP = suite.origin('app.test');
      const exposing = await suite.sentinelApi(policy());
      const { exposedHeaders: _omit, ...noExpose } = policy();
      const silent = await suite.sentinelApi(noExpose);
      const page = await suite.open(APP);
      const onWire: Array<Record<string, string>> = [];
      page.page.on('response', (res) => {
        if (res.url().includes('/api/items')) onWire.push(res.headers());
      });

      const a = await browserFetch(page.page, `${exposing.api.url('api.app.test')}/api/items`);
      const b = await browserFetch(page.page, `${silent.api.url('api.app.test')}/api/items`);

      expect(a.ok && b.ok).toBe(true);
      // Exposed by policy: readable. Safelisted (content-type): always readable. Others: hidden.
      expect(a.headers['x-total-count']).toBe('3');
      expect(a.headers).not.toHaveProperty('x-request-id');
      expect(a.headers['content-type']).toMatch(/^application\/json/);
      expect(b.headers).not.toHaveProperty('x-total-count');
      expect(b.headers).not.toHaveProperty('x-request-id');
      // ...although the server sent them both times (Playwright sees the raw response).
      expect(onWire).toHaveLength(2);
      for (const h of onWire) expect(h).toMatchObject({ 'x-request-id': 'req-42', 'x-total-count': '3' });
      expect(onWire[0]?.['access-control-expose-headers']?.toLowerCase()).toBe('x-total-count');
      expect(onWire[1]).not.toHaveProperty('access-control-expose-headers');

      for (const { api } of [exposing, silent]) {
        expect(api.wire.lines()).toEqual(['GET /api/items']);
        const m = await api.scrape();
        expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1]));
        expect(m.violations).toEqual({});
      }
    });
  });

  describe('wildcard tenant origins', () => {
    let otherPort: PageServer;
    beforeAll(async () => {
      otherPort = await startPageServer();
    });
    afterAll(async () => {
      await otherPort.close();
    });

    test('subdomains of the tenant zone are allowed; look-alikes are refused', async () => {
      const P = suite.pages.port;
      const allowed = [`http://a.tenant.test:${P}`, `http://x.y.tenant.test:${P}`];
      const refused = [
        `http://tenant.test.evil.test:${P}`, // the zone as a prefix of another domain
        `http://evil-tenant.test:${P}`, // the zone as a suffix of a label
        `http://tenant.test:${P}`, // the apex itself: `*.` needs at least one label
        `http://a.tenant.test:${otherPort.port}`, // right host, wrong port
      ];
      const { api } = await suite.sentinelApi(policy());

      const results: Record<string, boolean> = {};
      for (const origin of [...allowed, ...refused]) {
        const page = await suite.open(origin);
        const r = await browserFetch(page.page, `${api.url('api.app.test')}/api/items`);
        results[origin] = r.ok;
        expect(page.corsErrors()).toHaveLength(r.ok ? 0 : 1);
      }

      expect(results).toEqual(Object.fromEntries([...allowed.map((o) => [o, true]), ...refused.map((o) => [o, false])]));
      expect(api.wire.count('GET', '/api/items')).toBe(6);
      expect(api.wire.requests.map((w) => w.origin)).toEqual([...allowed, ...refused]);

      const m = await api.scrape();
      expect(m.requests).toEqual(
        requestSeries(
          ...allowed.map((o) => ['default', 'actual', 'allowed', o, 1] as [string, string, string, string, number]),
          ...refused.map((o) => ['default', 'actual', 'rejected', o, 1] as [string, string, string, string, number]),
        ),
      );
      expect(m.violations).toEqual(violationSeries(['default', 'actual', 'origin_not_allowed', refused.length]));
    });

    test('a tenant preflight is allowed and a look-alike preflight is refused before any PUT', async () => {
      const P = suite.pages.port;
      const TENANT = `http://a.tenant.test:${P}`;
      const LOOKALIKE = `http://tenant.test.evil.test:${P}`;
      const { api } = await suite.sentinelApi(policy());

      const ok = await browserFetch((await suite.open(TENANT)).page, `${api.url('api.app.test')}/api/items/7`, JSON_PUT);
      const bad = await browserFetch((await suite.open(LOOKALIKE)).page, `${api.url('api.app.test')}/api/items/7`, JSON_PUT);

      expect(ok.ok).toBe(true);
      expect(bad.ok).toBe(false);
      expect(api.wire.lines()).toEqual(['OPTIONS /api/items/7', 'PUT /api/items/7', 'OPTIONS /api/items/7']);
      const m = await api.scrape();
      expect(m.requests).toEqual(
        requestSeries(
          ['default', 'preflight', 'allowed', TENANT, 1],
          ['default', 'actual', 'allowed', TENANT, 1],
          ['default', 'preflight', 'rejected', LOOKALIKE, 1],
        ),
      );
      expect(m.violations).toEqual(violationSeries(['default', 'preflight', 'origin_not_allowed', 1]));
    });
  });
});
