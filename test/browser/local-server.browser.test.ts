/**
 * The `localServer` preset judged by Chromium: a local MCP-style endpoint (`POST /mcp`, JSON-RPC)
 * that web pages the user visits must not drive.
 *
 * - A page on another origin (`http://evil.localhost:P`) tries a JSON fetch (preflighted), a simple
 *   `text/plain` fetch, a `no-cors` fetch and an HTML form POST: every request that reaches the server
 *   is answered 403 and the handler never runs.
 * - DNS rebinding: the attacker's document is served for `http://rebind.test:A/` (Playwright fulfils
 *   that one navigation, as the attacker's server would before the name is re-pointed), and the page's
 *   own same-origin requests then reach the local server on port A over loopback (`MAP *.test
 *   127.0.0.1`) — with `Host: rebind.test:A`, which is all that tells them apart. Refused 403 too.
 * - The real browser client (an allowed origin) is served and reads the answer.
 */
import type express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src';
import { browserFetch, CHROMIUM_ARGS, CHROMIUM_PATH, describeBrowser, formPost, useBrowserSuite, type ApiServer } from './harness';

/** Chromium's checks on requests from public pages to loopback (Private/Local Network Access). */
const PNA_FEATURES = 'BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks';

const PAGE = '<!doctype html><html><head><link rel="icon" href="data:,"></head><body></body></html>';
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'delete_everything' } });

describeBrowser('Chromium against a localServer (MCP-style endpoint)', () => {
  const suite = useBrowserSuite();

  async function start(options: CorsSentinelOptions = { localServer: { allowedOrigins: [suite.origin('app.localhost')] } }): Promise<{ api: ApiServer; ran: string[] }> {
    const ran: string[] = [];
    const routes = (app: express.Express): void => {
      app.all('/mcp', (req, res) => {
        ran.push(`${req.method} ${req.headers.host}`);
        res.json({ jsonrpc: '2.0', id: 1, result: {} });
      });
    };
    const { api } = await suite.sentinelApi(options, routes);
    return { api, ran };
  }

  /** A form POST whose text/plain body looks like a JSON-RPC call (what a page can send without a preflight). */
  const smuggledCall = (page: Page, url: string): Promise<number> => formPost(page, url, ['{"jsonrpc":"2.0","id":1,"method":"tools/call","x":"', '"}'], 'text/plain');

  const noCorsPost = (page: Page, url: string): Promise<string> =>
    page.evaluate(async ([u, body]) => (await fetch(u, { mode: 'no-cors', method: 'POST', body, headers: { 'Content-Type': 'text/plain' } })).type, [url, CALL] as const);

  test('a page on another origin cannot call it: fetch, no-cors fetch and form POST all refused before the handler', async () => {
    const { api, ran } = await start();
    const mcp = `${api.url('localhost')}/mcp`;
    const evil = await suite.open(suite.origin('evil.localhost'));

    const json = await browserFetch(evil.page, mcp, { method: 'POST', body: CALL, headers: { 'Content-Type': 'application/json' } });
    const simple = await browserFetch(evil.page, mcp, { method: 'POST', body: CALL, headers: { 'Content-Type': 'text/plain' } });
    const read = await browserFetch(evil.page, mcp);
    expect([json.ok, simple.ok, read.ok]).toEqual([false, false, false]);
    expect(await noCorsPost(evil.page, mcp)).toBe('opaque');
    expect(await smuggledCall(evil.page, mcp)).toBe(403);

    expect(ran).toEqual([]);
    // What Chromium sent: the JSON call stopped at its preflight; everything else arrived and was refused.
    expect(api.wire.requests.map((w) => `${w.method} ${w.origin === suite.origin('evil.localhost') ? 'evil' : w.origin} ${w.secFetchSite}`)).toEqual([
      'OPTIONS evil cross-site', 'POST evil cross-site', 'GET evil cross-site', 'POST evil cross-site', 'POST evil cross-site',
    ]);
    const m = await api.scrape();
    expect(m.sum('cors_violations_total', { reason: 'origin_not_allowed' })).toBe(2); // the preflight and the GET
    expect(m.sum('cors_cross_origin_requests_total', { decision: 'blocked' })).toBe(3); // the three POSTs
  });

  /**
   * Opens the attacker's page at `origin` in `browser`: Playwright answers that one document request
   * (the attacker's server, before the name is re-pointed); everything after it goes to 127.0.0.1.
   */
  async function openRebindingPage(browser: Browser, origin: string): Promise<{ context: BrowserContext; page: Page; console: string[] }> {
    const context = await browser.newContext();
    await context.route(`${origin}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: PAGE }));
    const page = await context.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(m.text()));
    await page.goto(`${origin}/`);
    return { context, page, console: lines };
  }

  test('DNS rebinding in default Chromium: its own Private Network Access check stops the page first', async () => {
    const { api, ran } = await start();
    const attack = await openRebindingPage(suite.browser, api.url('rebind.test'));
    try {
      const call = await browserFetch(attack.page, '/mcp', { method: 'POST', body: CALL, headers: { 'Content-Type': 'application/json' } });
      expect([call.ok, attack.console.some((l) => l.includes('more-private address space'))]).toEqual([false, true]);
    } finally {
      await attack.context.close();
    }
    // Other browsers have no such check: the server's own Host check below is what protects their users.
    expect([ran, api.wire.requests]).toEqual([[], []]);
  });

  /** Firefox and Safari send rebinding pages' requests; so does Chromium with its local-network checks off. */
  const launchWithoutPna = (): Promise<Browser> =>
    chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, timeout: 30_000, args: [...CHROMIUM_ARGS, `--disable-features=${PNA_FEATURES}`] });

  test('control: without localServer, an Origin allowlist alone lets the rebinding page drive the handler', async () => {
    const { api, ran } = await start({ origins: [suite.origin('app.localhost')], rejectActualRequests: true, crossOriginProtection: { mode: 'enforce' } });
    const origin = api.url('rebind.test');
    const browser = await launchWithoutPna();
    try {
      const attack = await openRebindingPage(browser, origin);
      const call = await browserFetch(attack.page, '/mcp', { method: 'POST', body: CALL, headers: { 'Content-Type': 'application/json' } });
      expect([call.status, JSON.parse(call.body ?? '{}').jsonrpc]).toEqual([200, '2.0']);
    } finally {
      await browser.close();
    }
    expect(ran).toEqual([`POST rebind.test:${api.port}`]);
  });

  test('DNS rebinding in a browser without Private Network Access: refused on its Host, before the handler', async () => {
    const { api, ran } = await start();
    const origin = api.url('rebind.test');
    const browser = await launchWithoutPna();
    try {
      const attack = await openRebindingPage(browser, origin);
      const call = await browserFetch(attack.page, '/mcp', { method: 'POST', body: CALL, headers: { 'Content-Type': 'application/json' } });
      const read = await browserFetch(attack.page, '/mcp');
      // Same-origin for the browser, so the page reads the status: 403, from the local server.
      expect([call.status, read.status, call.error]).toEqual([403, 403, undefined]);
      expect(await smuggledCall(attack.page, `${origin}/mcp`)).toBe(403);
    } finally {
      await browser.close();
    }
    expect(ran).toEqual([]);
    expect(api.wire.requests.map((w) => `${w.method} ${w.origin ?? '-'}`)).toEqual([`POST ${origin}`, 'GET -', `POST ${origin}`]);
    expect((await api.scrape()).sum('cors_violations_total', { reason: 'host_not_allowed' })).toBe(3);
  });

  test('the real browser client (an allowed origin) is served and reads the answer', async () => {
    const { api, ran } = await start();
    const app = await suite.open(suite.origin('app.localhost'));
    const res = await browserFetch(app.page, `${api.url('localhost')}/mcp`, { method: 'POST', body: CALL, headers: { 'Content-Type': 'application/json' } });
    expect([res.ok, res.status, JSON.parse(res.body ?? '{}').jsonrpc]).toEqual([true, 200, '2.0']);
    expect(ran).toEqual([`POST localhost:${api.port}`]);
    expect(api.wire.preflights()).toBe(1);
  });
});
