/**
 * Credentials (cookies) judged by Chromium.
 *
 * Setup that works on plain-http loopback, and why:
 * - The page is `http://app.localhost:P` and the API `http://api.app.localhost:A`. They are different
 *   origins (host and port differ), so every request is a real CORS request, but the same *site*
 *   (`http://app.localhost`: ports do not count, and for the unknown TLD `localhost` the registrable
 *   domain is `app.localhost`). A `SameSite=Lax` session cookie set by the API is therefore sent on
 *   the page's credentialed fetches. A cross-site setup (`http://app.test` → `http://api.test`) would
 *   need `SameSite=None`, which Chromium accepts only with `Secure`, i.e. over https.
 * - `*.localhost` rather than `*.test`: cors-sentinel refuses plain-http origins in a credentialed
 *   policy unless they are loopback (security rule 4), and `*.localhost` is loopback by definition
 *   (Chromium resolves it to 127.0.0.1 itself and treats it as potentially trustworthy). `*.test`
 *   would need `dangerouslyAllowInsecureOriginsWithCredentials`.
 * - The cookie is set by a first-party response: the page first navigates to the API's `/login`.
 */
import type { Page } from 'playwright-core';
import { browserFetch, browserXhr, describeBrowser, requestSeries, useBrowserSuite, violationSeries, type ApiServer } from './harness';

describeBrowser('Chromium against cors-sentinel: credentials', () => {
  const suite = useBrowserSuite();

  /** Navigates to the API's /login (sets `sid`, SameSite=Lax, HttpOnly), then back to the app page. */
  async function login(page: Page, api: ApiServer, appOrigin: string): Promise<void> {
    await page.goto(`${api.url('api.app.localhost')}/login`);
    await page.goto(`${appOrigin}/`);
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.domain, c.sameSite])).toEqual([['sid', 'api.app.localhost', 'Lax']]);
  }

  const profile = (api: ApiServer) => `${api.url('api.app.localhost')}/api/profile`;
  const cookieSeen = (r: { body?: string | undefined }) => (JSON.parse(r.body ?? '{}') as { cookie?: unknown }).cookie;

  test("credentialed policy: the cookie is sent and the response readable only with credentials: 'include'", async () => {
    const APP = suite.origin('app.localhost');
    const { api } = await suite.sentinelApi({ origins: [APP], credentials: true, allowedHeaders: ['content-type'] });
    const p = await suite.open(APP);
    await login(p.page, api, APP);

    const plain = await browserFetch(p.page, profile(api));
    const incl = await browserFetch(p.page, profile(api), { credentials: 'include' });
    const xhr = await browserXhr(p.page, profile(api), { withCredentials: true });
    const put = await browserFetch(p.page, `${api.url('api.app.localhost')}/api/items/1`, {
      method: 'PUT', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{}',
    });

    // Default mode (same-origin): a cross-origin fetch carries no cookie, whatever the policy.
    expect(plain.ok).toBe(true);
    expect(cookieSeen(plain)).toBeNull();
    // include + a credentialed policy: sent, and the answer is readable by script.
    expect(incl.ok).toBe(true);
    expect(cookieSeen(incl)).toBe('sid=s3cret');
    expect(xhr.ok).toBe(true);
    expect(cookieSeen(xhr)).toBe('sid=s3cret');
    expect(put.ok).toBe(true);
    expect(cookieSeen(put)).toBe('sid=s3cret');
    expect(p.corsErrors()).toEqual([]);

    // The wire: the preflight itself never carries cookies; the actual requests do when included.
    expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual([
      'GET /login -',
      'GET /api/profile -',
      'GET /api/profile sid=s3cret',
      'GET /api/profile sid=s3cret',
      'OPTIONS /api/items/1 -',
      'PUT /api/items/1 sid=s3cret',
    ]);
    const m = await api.scrape();
    expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 4], ['default', 'preflight', 'allowed', APP, 1]));
    expect(m.violations).toEqual({});
    expect(m.series('cors_non_cors_requests_total')).toEqual({ 'route=default': 1 }); // the /login navigation
  });

  test('non-credentialed policy: an included cookie reaches the server but the browser refuses the response', async () => {
    const APP = suite.origin('app.localhost');
    const { api } = await suite.sentinelApi({ origins: [APP] });
    const p = await suite.open(APP);
    await login(p.page, api, APP);

    const incl = await browserFetch(p.page, profile(api), { credentials: 'include' });
    const plain = await browserFetch(p.page, profile(api));

    expect(incl).toMatchObject({ ok: false, error: 'TypeError: Failed to fetch' });
    expect(p.corsErrors()).toEqual([
      expect.stringContaining("The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true'"),
    ]);
    expect(plain.ok).toBe(true);
    expect(cookieSeen(plain)).toBeNull();
    // The cookie went out and the app ran: CORS only stops the page from reading the answer.
    expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual([
      'GET /login -',
      'GET /api/profile sid=s3cret',
      'GET /api/profile -',
    ]);
    const m = await api.scrape();
    expect(m.requests).toEqual(requestSeries(['default', 'actual', 'rejected', APP, 1], ['default', 'actual', 'allowed', APP, 1]));
    expect(m.violations).toEqual(violationSeries(['default', 'actual', 'credentials_not_allowed', 1]));
  });

  test("public '*' policy: the browser refuses '*' for a credentialed request; metrics count it as credentials_not_allowed", async () => {
    const APP = suite.origin('app.localhost');
    const { api } = await suite.sentinelApi({ origins: '*' });
    const p = await suite.open(APP);
    await login(p.page, api, APP);

    const incl = await browserFetch(p.page, profile(api), { credentials: 'include' });
    const plain = await browserFetch(p.page, profile(api));

    expect(incl.ok).toBe(false);
    expect(p.corsErrors()).toEqual([
      expect.stringContaining("must not be the wildcard '*' when the request's credentials mode is 'include'"),
    ]);
    expect(plain.ok).toBe(true);
    expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual([
      'GET /login -',
      'GET /api/profile sid=s3cret',
      'GET /api/profile -',
    ]);
    const m = await api.scrape();
    expect(m.requests).toEqual(requestSeries(['default', 'actual', 'rejected', APP, 1], ['default', 'actual', 'allowed', APP, 1]));
    expect(m.violations).toEqual(violationSeries(['default', 'actual', 'credentials_not_allowed', 1]));
  });

  /**
   * Where the server cannot know what the browser will do. A request in credentials mode 'include'
   * looks exactly like an uncredentialed one when the jar holds no cookie for the API, and a
   * preflight never carries cookies; Chromium sends no header that reveals the credentials mode.
   * So for these requests the browser fails while the metrics record an allowed request. These
   * assertions pin the limitation down (docs/browser-tests.md); if a later version of the engine
   * learns to see it, they will fail and must be updated.
   */
  describe('known blind spots of server-side metrics', () => {
    test("include without a cookie against '*': the browser fails, the server records allowed", async () => {
      const APP = suite.origin('app.localhost');
      const { api } = await suite.sentinelApi({ origins: '*' });
      const p = await suite.open(APP); // no login: no cookie in the jar

      const r = await browserFetch(p.page, profile(api), { credentials: 'include' });

      expect(r.ok).toBe(false);
      expect(p.corsErrors()).toEqual([expect.stringContaining("must not be the wildcard '*'")]);
      expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.cookie ?? '-'}`)).toEqual(['GET /api/profile -']);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'actual', 'allowed', APP, 1]));
    });

    test('a credentialed PUT against a non-credentialed policy: the preflight is refused by the browser, recorded as allowed', async () => {
      const APP = suite.origin('app.localhost');
      const { api } = await suite.sentinelApi({ origins: [APP] });
      const p = await suite.open(APP);
      await login(p.page, api, APP);

      const r = await browserFetch(p.page, `${api.url('api.app.localhost')}/api/items/1`, {
        method: 'PUT', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{}',
      });

      expect(r.ok).toBe(false);
      expect(p.corsErrors()).toEqual([
        expect.stringContaining("Response to preflight request doesn't pass access control check: The value of the 'Access-Control-Allow-Credentials' header"),
      ]);
      expect(api.wire.lines()).toEqual(['GET /login', 'OPTIONS /api/items/1']);
      const m = await api.scrape();
      expect(m.requests).toEqual(requestSeries(['default', 'preflight', 'allowed', APP, 1]));
      expect(m.violations).toEqual({});
    });
  });
});
