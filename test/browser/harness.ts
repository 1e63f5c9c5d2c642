/**
 * Harness for the browser end-to-end suite: a real Chromium (Debian's, driven by playwright-core)
 * talks to real Express servers on loopback, and every test compares what the browser did with what
 * the server saw on the wire and what `/metrics` recorded.
 *
 * Origins. Chromium is started with `--host-resolver-rules=MAP *.test 127.0.0.1`, so any `*.test`
 * host name reaches our loopback servers and one page server yields as many origins as we like
 * (`http://app.test:P`, `http://evil.test:P`, `http://a.tenant.test:P`, …): an origin is scheme +
 * host + port, so the host name alone makes them distinct. `*.localhost` names need no rule (Chromium
 * resolves them to loopback itself); they are used for credentialed policies (see credentials.browser.test.ts).
 *
 * Private Network Access: every origin here resolves to 127.0.0.1 and so does the API, so no request
 * goes from a "more public" to a "more private" address space and Chromium sends no
 * `Access-Control-Request-Private-Network` (the wire log records it; tests assert it never appears).
 */
import { existsSync } from 'node:fs';
import express from 'express';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { Registry } from 'prom-client';
import { corsSentinel, type CorsSentinelMiddleware, type CorsSentinelOptions } from '../../packages/cors-sentinel/src';
import { openPage, type OriginPage } from './page';
import { demoRoutes, startApi, startPageServer, type ApiOptions, type ApiServer, type PageServer } from './servers';

export * from './metrics';
export * from './page';
export * from './servers';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The suite needs a real browser. Outside CI a machine without Chromium skips it (and says so);
 * in CI (`CI` set) it always runs, so a missing browser fails loudly instead of passing silently.
 */
export const browserAvailable = existsSync(CHROMIUM_PATH);
export const describeBrowser: jest.Describe = browserAvailable || process.env.CI ? describe : describe.skip;
if (!browserAvailable && !process.env.CI) {
  console.warn(`cors-sentinel browser suite SKIPPED: ${CHROMIUM_PATH} not found (apt-get install chromium, or set CHROMIUM_PATH).`);
}

/** Flags that work for Debian's Chromium as root in a container without a display or GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP *.test 127.0.0.1',
];

/**
 * One Chromium per test file. Playwright's `launch()` always gives the browser a fresh temporary
 * profile (`--user-data-dir`), and every `newContext()` is an incognito-like context with its own
 * cookie jar, HTTP cache and CORS preflight cache, so tests cannot see each other's state.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}


export interface BrowserSuite {
  readonly browser: Browser;
  readonly pages: PageServer;
  /** `http://${host}:${pagePort}`: a page origin. */
  origin(host: string): string;
  /** A fresh context with a page loaded at `origin`; closed after the test. */
  open(origin: string): Promise<OriginPage>;
  /** An API whose CORS layer(s) and routes `setup` installs; closed after the test. */
  api(options: ApiOptions): Promise<ApiServer>;
  /**
   * An API behind `corsSentinel(options)` (fresh Registry, no logger) with the demo routes and
   * `/metrics`; closed after the test.
   */
  sentinelApi(options: CorsSentinelOptions, routes?: (app: express.Express) => void): Promise<{ api: ApiServer; cors: CorsSentinelMiddleware }>;
  /** Closes `thing` (a sentinel or observer: stops its log timer) after the test. */
  closeAfterTest<T extends { close(): void }>(thing: T): T;
}

/**
 * Registers the hooks of a browser test file: Chromium and the page server once per file
 * (`beforeAll`), contexts and APIs per test (closed in `afterEach`), everything closed in `afterAll`.
 */
export function useBrowserSuite(): BrowserSuite {
  let browser: Browser | undefined;
  let pages: PageServer | undefined;
  const contexts: BrowserContext[] = [];
  const apis: ApiServer[] = [];
  const closeables: Array<{ close(): void }> = [];

  beforeAll(async () => {
    browser = await launchChromium();
    pages = await startPageServer();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    // All origins and APIs are on loopback: Chromium's Private Network Access must never have asked.
    const pnaRequests = apis.flatMap((a) => a.wire.requests.filter((r) => r.accessControlRequestPrivateNetwork !== undefined));
    await Promise.all(apis.splice(0).map((a) => a.close()));
    for (const c of closeables.splice(0)) c.close();
    expect(pnaRequests).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not running (beforeAll failed?)`);
    return v;
  };
  const suite: BrowserSuite = {
    get browser() {
      return need(browser, 'Chromium');
    },
    get pages() {
      return need(pages, 'the page server');
    },
    origin: (host) => need(pages, 'the page server').origin(host),
    async open(origin) {
      const p = await openPage(need(browser, 'Chromium'), origin);
      contexts.push(p.context);
      return p;
    },
    async api(options) {
      const a = await startApi(options);
      apis.push(a);
      return a;
    },
    async sentinelApi(options, routes = demoRoutes) {
      const cors = suite.closeAfterTest(corsSentinel({ metrics: { registry: new Registry() }, logger: false, ...options }));
      const api = await suite.api({
        metricsHandler: cors.metricsHandler(),
        setup(app) {
          app.use(cors);
          routes(app);
        },
      });
      return { api, cors };
    },
    closeAfterTest(thing) {
      closeables.push(thing);
      return thing;
    },
  };
  return suite;
}
