/**
 * Cross-origin request protection judged by Chromium: the requests CORS cannot stop (an HTML form
 * POST and a `no-cors` fetch from another site need no preflight and reach the handler) are counted
 * in report-only mode and blocked in enforce mode, while trusted origins, same-origin POSTs and
 * top-level navigations pass. The metrics must match what the browser sent on the wire.
 *
 * Chromium sends Fetch Metadata (`Sec-Fetch-*`) only to potentially trustworthy URLs: https, or
 * loopback names such as `*.localhost`. So the API is `http://api.localhost:A`, and `evil.localhost`
 * and `app.localhost` pages are other sites (the registrable domain under the `localhost` TLD is the
 * host's last two labels), while `sub.api.localhost` is the same site. One test runs the API on
 * `http://api.test:A` instead, where Chromium sends no `Sec-Fetch-Site` and the Origin/Host fallback decides.
 */
import type express from 'express';
import type { Page } from 'playwright-core';
import { browserFetch, describeBrowser, formPost, useBrowserSuite, type ApiServer } from './harness';

type Mode = 'report-only' | 'enforce';

describeBrowser('Chromium against cross-origin request protection (Fetch Metadata)', () => {
  const suite = useBrowserSuite();

  /** The API: a state-changing handler that counts its runs, a GET page, and a same-origin form page. */
  async function start(mode: Mode): Promise<{ api: ApiServer; ran: string[] }> {
    const ran: string[] = [];
    const routes = (app: express.Express): void => {
      app.post('/api/transfer', (req, res) => {
        ran.push(`${req.method} ${req.headers['sec-fetch-site'] ?? '-'}`);
        res.type('html').send('<!doctype html><link rel="icon" href="data:,"><p>done</p>');
      });
      const page = (_req: express.Request, res: express.Response): void => void res.type('html').send('<!doctype html><link rel="icon" href="data:,"><p>form</p>');
      app.get('/api/transfer', page);
      app.get('/form', page);
    };
    const { api } = await suite.sentinelApi({ origins: [suite.origin('app.localhost')], crossOriginProtection: { mode } }, routes);
    return { api, ran };
  }

  const transfer = (api: ApiServer, host = 'api.localhost') => `${api.url(host)}/api/transfer`;

  /** `fetch(url, { mode: 'no-cors', method: 'POST' })`: a simple request with an opaque answer. */
  async function noCorsPost(page: Page, url: string): Promise<string> {
    return page.evaluate(async (u) => {
      const res = await fetch(u, { mode: 'no-cors', method: 'POST', body: 'amount=1000', headers: { 'Content-Type': 'text/plain' } });
      return res.type;
    }, url);
  }

  async function crossOriginSeries(api: ApiServer): Promise<Record<string, number>> {
    return (await api.scrape()).series('cors_cross_origin_requests_total');
  }

  for (const mode of ['report-only', 'enforce'] as const) {
    test(`${mode}: a form POST and a no-cors fetch from another site reach the API without a preflight`, async () => {
      const { api, ran } = await start(mode);
      const evil = await suite.open(suite.origin('evil.localhost'));
      const fetched = await noCorsPost(evil.page, transfer(api));
      const status = await formPost(evil.page, transfer(api));

      // No preflight: CORS never had a say.
      expect(api.wire.preflights()).toBe(0);
      expect(api.wire.requests.map((w) => `${w.method} ${w.path} ${w.origin} ${w.secFetchSite}`)).toEqual([
        `POST /api/transfer ${suite.origin('evil.localhost')} cross-site`,
        `POST /api/transfer ${suite.origin('evil.localhost')} cross-site`,
      ]);
      expect(fetched).toBe('opaque'); // the page cannot tell whether it was blocked: only the server can
      if (mode === 'report-only') {
        expect(status).toBe(200);
        expect(ran).toEqual(['POST cross-site', 'POST cross-site']);
        expect(await crossOriginSeries(api)).toEqual({ 'route=default site=cross-site decision=would_block': 2 });
      } else {
        expect(status).toBe(403);
        expect(ran).toEqual([]);
        expect(await crossOriginSeries(api)).toEqual({ 'route=default site=cross-site decision=blocked': 2 });
      }
    });
  }

  test('enforce: the same requests from a trusted origin (the CORS policy\'s) pass', async () => {
    const { api, ran } = await start('enforce');
    const app = await suite.open(suite.origin('app.localhost'));
    expect(await noCorsPost(app.page, transfer(api))).toBe('opaque');
    expect(await formPost(app.page, transfer(api))).toBe(200);
    expect(ran).toEqual(['POST cross-site', 'POST cross-site']);
    expect(await crossOriginSeries(api)).toEqual({ 'route=default site=cross-site decision=allowed': 2 });
  });

  test('enforce: same-origin POSTs pass; a same-site page that is not trusted is blocked', async () => {
    const { api, ran } = await start('enforce');
    const own = await suite.open(api.url('api.localhost'));
    await own.page.goto(`${api.url('api.localhost')}/form`); // the API's own page (Express's 404 page forbids fetch by CSP)
    const sameOrigin = await browserFetch(own.page, transfer(api), { method: 'POST', body: 'x' });
    expect(sameOrigin.status).toBe(200);
    expect(await formPost(own.page, transfer(api))).toBe(200);
    const sibling = await suite.open(suite.origin('sub.api.localhost'));
    expect(await formPost(sibling.page, transfer(api))).toBe(403);
    expect(ran).toEqual(['POST same-origin', 'POST same-origin']);
    expect(api.wire.requests.filter((w) => w.method === 'POST').map((w) => w.secFetchSite)).toEqual(['same-origin', 'same-origin', 'same-site']);
    expect(await crossOriginSeries(api)).toEqual({
      'route=default site=same-origin decision=allowed': 2,
      'route=default site=same-site decision=blocked': 1,
    });
  });

  test('enforce: a top-level navigation GET from another site passes and is not judged', async () => {
    const { api } = await start('enforce');
    const evil = await suite.open(suite.origin('evil.localhost'));
    const [response] = await Promise.all([
      evil.page.waitForNavigation(),
      evil.page.evaluate((u) => ((globalThis as unknown as { location: { href: string } }).location.href = u), transfer(api)),
    ]);
    expect(response?.status()).toBe(200);
    expect(api.wire.requests.map((w) => `${w.method} ${w.secFetchSite}`)).toEqual(['GET cross-site']);
    expect(await crossOriginSeries(api)).toEqual({});
  });

  test('over plain http Chromium sends no Sec-Fetch-Site: Origin against Host still tells the sites apart', async () => {
    const { api, ran } = await start('enforce');
    const evil = await suite.open(suite.origin('evil.test'));
    expect(await noCorsPost(evil.page, transfer(api, 'api.test'))).toBe('opaque');
    const own = await suite.open(api.url('api.test'));
    await own.page.goto(`${api.url('api.test')}/form`);
    expect((await browserFetch(own.page, transfer(api, 'api.test'), { method: 'POST', body: 'x' })).status).toBe(200);
    expect(api.wire.requests.filter((w) => w.method === 'POST').map((w) => `${w.origin} ${w.secFetchSite}`)).toEqual([
      `${suite.origin('evil.test')} undefined`,
      `${api.url('api.test')} undefined`,
    ]);
    expect(ran).toEqual(['POST -']);
    expect(await crossOriginSeries(api)).toEqual({
      'route=default site=cross-site decision=blocked': 1,
      'route=default site=same-origin decision=allowed': 1,
    });
  });
});
