/**
 * Preflight caching, measured in Chromium: how many OPTIONS requests reach the server for a stream
 * of non-simple requests, with and without `maxAge`, and the preflight share of all cross-origin
 * requests that `/metrics` reports (the seed article's "40% of our requests were preflights").
 *
 * What Chromium does (checked here, Chromium 156):
 * - `Access-Control-Max-Age: N` caches a preflight for N seconds (capped at 7200), per origin and URL
 *   (and per method/header set): a new URL needs its own preflight even inside the window.
 * - No `Access-Control-Max-Age` at all does NOT mean "no caching": Chromium then caches for 5 seconds.
 *   Requests more than 5 s apart each pay a preflight; a tight loop does not.
 * - `Access-Control-Max-Age: 0` (maxAge: 0) disables the cache: every non-simple request is preflighted.
 */
import type { Page } from 'playwright-core';
import { browserFetch, describeBrowser, sleep, useBrowserSuite, type ApiServer, type Metrics } from './harness';

const put = (id: number | string) => ({
  method: 'PUT',
  headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' },
  body: JSON.stringify({ id }),
});

function preflightShare(m: Metrics): number {
  const preflights = m.sum('cors_requests_total', { request_type: 'preflight' });
  return preflights / m.sum('cors_requests_total');
}

describeBrowser('Chromium against cors-sentinel: preflight caching', () => {
  const suite = useBrowserSuite();

  function policy(maxAge: number | undefined) {
    return {
      origins: [suite.origin('app.test')],
      allowedHeaders: ['content-type', 'x-custom'],
      ...(maxAge === undefined ? {} : { maxAge }),
    };
  }

  async function putTimes(page: Page, api: ApiServer, n: number, path = '/api/items/1'): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let i = 0; i < n; i++) out.push((await browserFetch(page, `${api.url('api.app.test')}${path}`, put(i))).ok);
    return out;
  }

  test('maxAge: 600 — five PUTs to one URL send one preflight', async () => {
    const APP = suite.origin('app.test');
    const { api } = await suite.sentinelApi(policy(600));
    const page = await suite.open(APP);

    expect(await putTimes(page.page, api, 5)).toEqual([true, true, true, true, true]);

    expect(api.wire.preflights()).toBe(1);
    expect(api.wire.count('PUT')).toBe(5);
    expect(api.wire.lines()[0]).toBe('OPTIONS /api/items/1');
    const m = await api.scrape();
    expect(m.sum('cors_requests_total', { request_type: 'preflight', outcome: 'allowed', origin: APP })).toBe(1);
    expect(m.sum('cors_requests_total', { request_type: 'actual', outcome: 'allowed', origin: APP })).toBe(5);
    expect(m.sum('cors_requests_total', { outcome: 'rejected' })).toBe(0);
  });

  test('maxAge: 0 — every PUT sends its own preflight', async () => {
    const APP = suite.origin('app.test');
    const { api } = await suite.sentinelApi(policy(0));
    const page = await suite.open(APP);

    expect(await putTimes(page.page, api, 5)).toEqual([true, true, true, true, true]);

    expect(api.wire.lines()).toEqual(Array.from({ length: 5 }, () => ['OPTIONS /api/items/1', 'PUT /api/items/1']).flat());
    const m = await api.scrape();
    expect(m.sum('cors_requests_total', { request_type: 'preflight', outcome: 'allowed', origin: APP })).toBe(5);
    expect(m.sum('cors_requests_total', { request_type: 'actual', outcome: 'allowed', origin: APP })).toBe(5);
  });

  test('no maxAge — Chromium caches for 5 s only: a PUT 6 s later is preflighted again (maxAge: 600 is not)', async () => {
    const APP = suite.origin('app.test');
    const none = await suite.sentinelApi(policy(undefined));
    const long = await suite.sentinelApi(policy(600));
    const pNone = await suite.open(APP);
    const pLong = await suite.open(APP);

    // Two quick PUTs, a pause longer than Chromium's 5 s default, one more PUT; both APIs at once.
    const run = async (page: Page, api: ApiServer) => {
      const ok = await putTimes(page, api, 2);
      await sleep(6000);
      return [...ok, ...(await putTimes(page, api, 1))];
    };
    const [okNone, okLong] = await Promise.all([run(pNone.page, none.api), run(pLong.page, long.api)]);

    expect(okNone).toEqual([true, true, true]);
    expect(okLong).toEqual([true, true, true]);
    expect(none.api.wire.lines()).toEqual(['OPTIONS /api/items/1', 'PUT /api/items/1', 'PUT /api/items/1', 'OPTIONS /api/items/1', 'PUT /api/items/1']);
    expect(long.api.wire.lines()).toEqual(['OPTIONS /api/items/1', 'PUT /api/items/1', 'PUT /api/items/1', 'PUT /api/items/1']);
    const mNone = await none.api.scrape();
    const mLong = await long.api.scrape();
    expect(mNone.sum('cors_requests_total', { request_type: 'preflight', outcome: 'allowed' })).toBe(2);
    expect(mLong.sum('cors_requests_total', { request_type: 'preflight', outcome: 'allowed' })).toBe(1);
    expect(mNone.sum('cors_requests_total', { request_type: 'actual', outcome: 'allowed' })).toBe(3);
    expect(mLong.sum('cors_requests_total', { request_type: 'actual', outcome: 'allowed' })).toBe(3);
  }, 30_000);

  /**
   * The seed's effect: a frontend whose every user action is a list GET (simple), an item PUT and an
   * event POST (both JSON, so both preflighted). Uncached, 2 of every 5 requests are preflights.
   */
  test('the 40% preflight share: 5 rounds of GET + PUT + POST, with and without preflight caching', async () => {
    const APP = suite.origin('app.test');
    const round = async (page: Page, api: ApiServer, id: number): Promise<boolean[]> => {
      const base = api.url('api.app.test');
      return [
        (await browserFetch(page, `${base}/api/items`)).ok,
        (await browserFetch(page, `${base}/api/items/${id}`, put(id))).ok,
        (await browserFetch(page, `${base}/api/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"e":1}' })).ok,
      ];
    };
    const measure = async (maxAge: number, itemId: (i: number) => number) => {
      const { api } = await suite.sentinelApi(policy(maxAge));
      const page = await suite.open(APP);
      const ok: boolean[] = [];
      for (let i = 0; i < 5; i++) ok.push(...(await round(page.page, api, itemId(i))));
      const m = await api.scrape();
      return { ok, api, m, share: preflightShare(m) };
    };

    const uncached = await measure(0, () => 1);
    const cached = await measure(600, () => 1);
    const cachedManyUrls = await measure(600, (i) => i + 1);

    for (const r of [uncached, cached, cachedManyUrls]) {
      expect(r.ok).toEqual(Array<boolean>(15).fill(true));
      expect(r.api.wire.count('GET') + r.api.wire.count('PUT') + r.api.wire.count('POST')).toBe(15);
      // The metrics agree with the wire, request by request.
      expect(r.m.sum('cors_requests_total', { request_type: 'preflight' })).toBe(r.api.wire.preflights());
      expect(r.m.sum('cors_requests_total', { request_type: 'actual' })).toBe(15);
      expect(r.m.sum('cors_violations_total')).toBe(0);
    }
    // No caching: 10 preflights out of 25 requests — exactly the article's 40%.
    expect(uncached.api.wire.preflights()).toBe(10);
    expect(uncached.share).toBeCloseTo(0.4, 10);
    // maxAge 600, same URLs: one preflight per URL for the whole session, 2 of 17.
    expect(cached.api.wire.preflights()).toBe(2);
    expect(cached.share).toBeCloseTo(2 / 17, 10);
    // maxAge 600 but a new item URL each round: the cache is per URL, so every PUT is preflighted.
    expect(cachedManyUrls.api.wire.preflights()).toBe(6);
    expect(cachedManyUrls.share).toBeCloseTo(6 / 21, 10);

    console.log(
      `preflight share — no caching (maxAge 0): ${(uncached.share * 100).toFixed(1)}%; ` +
        `maxAge 600: ${(cached.share * 100).toFixed(1)}%; maxAge 600 with per-item URLs: ${(cachedManyUrls.share * 100).toFixed(1)}%`,
    );
  });
});
