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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { corsSentinel, type CorsSentinelMiddleware, type CorsSentinelOptions } from '../../src';

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
const CHROMIUM_ARGS = [
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

// ---------------------------------------------------------------------------------------------
// Servers

export interface Listening {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  // Chromium keeps connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Serves the same empty HTML page under every host name, so `http://<any>.test:PORT/` is a page of
 * origin `http://<any>.test:PORT`. The empty icon keeps Chromium from asking for /favicon.ico.
 */
export interface PageServer extends Listening {
  /** `http://${host}:${port}`: the origin of pages served for that host name. */
  origin(host: string): string;
}

export async function startPageServer(): Promise<PageServer> {
  const l = await listen((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('<!doctype html><html><head><link rel="icon" href="data:,"><title>page</title></head><body></body></html>');
  });
  return { ...l, origin: (host: string) => `http://${host}:${l.port}` };
}

/** One request as it arrived at the API server, before any CORS middleware saw it. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly cookie: string | undefined;
  readonly accessControlRequestMethod: string | undefined;
  readonly accessControlRequestHeaders: string | undefined;
  readonly accessControlRequestPrivateNetwork: string | undefined;
}

/** The requests the API received: counts what actually went over the wire. */
export class WireLog {
  readonly requests: WireRequest[] = [];

  /** Requests with this method (and path, if given). */
  count(method: string, path?: string): number {
    return this.requests.filter((r) => r.method === method && (path === undefined || r.path === path)).length;
  }

  /** CORS preflights: OPTIONS with Access-Control-Request-Method. */
  preflights(path?: string): number {
    return this.requests.filter((r) => r.method === 'OPTIONS' && r.accessControlRequestMethod !== undefined && (path === undefined || r.path === path)).length;
  }

  /** `METHOD /path` lines in arrival order, for exact sequence assertions. */
  lines(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

export interface ApiServer extends Listening {
  readonly wire: WireLog;
  /** `http://${host}:${port}`: the API as seen under that host name. */
  url(host: string): string;
  /** Scrapes `/metrics` over HTTP, as Prometheus would. */
  scrape(): Promise<Metrics>;
}

export interface ApiOptions {
  /** Mounted first: a `/metrics` handler (e.g. `cors.metricsHandler()`); it is not logged on the wire. */
  metricsHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Installs the CORS layer(s) under test and the routes. Runs after the wire counter. */
  setup(app: express.Express): void;
}

/**
 * An Express API: `/metrics` (if given), then the wire counter, then whatever `setup` installs.
 * The counter sits before the CORS layer, so it sees every request the browser sent, including
 * preflights that the CORS layer answers itself.
 */
export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const wire = new WireLog();
  if (options.metricsHandler) {
    const handler = options.metricsHandler;
    app.get('/metrics', (req, res) => handler(req, res));
  }
  app.use((req, _res, next) => {
    const h = req.headers;
    wire.requests.push({
      method: req.method,
      path: req.path,
      origin: h.origin,
      cookie: h.cookie,
      accessControlRequestMethod: one(h['access-control-request-method']),
      accessControlRequestHeaders: one(h['access-control-request-headers']),
      accessControlRequestPrivateNetwork: one(h['access-control-request-private-network']),
    });
    next();
  });
  options.setup(app);
  const l = await listen(app);
  return {
    ...l,
    wire,
    url: (host: string) => `http://${host}:${l.port}`,
    async scrape() {
      if (!options.metricsHandler) throw new Error('this API serves no /metrics');
      const res = await fetch(`http://127.0.0.1:${l.port}/metrics`);
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return parseMetrics(await res.text());
    },
  };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** Standard demo routes: items (GET, PUT, DELETE, POST) that echo what the server received. */
export function demoRoutes(app: express.Express): void {
  app.use(express.json());
  const echo = (req: express.Request, res: express.Response): void => {
    res.setHeader('X-Request-Id', 'req-42');
    res.setHeader('X-Total-Count', '3');
    res.json({ method: req.method, path: req.path, cookie: req.headers.cookie ?? null, body: req.body ?? null });
  };
  app.get('/api/items', echo);
  app.get('/api/items/:id', echo);
  app.put('/api/items/:id', echo);
  app.delete('/api/items/:id', echo);
  app.post('/api/events', echo);
  app.get('/api/profile', echo);
  // Sets the session cookie when the API itself is the top-level page (a first-party response).
  app.get('/login', (_req, res) => {
    res.setHeader('Set-Cookie', 'sid=s3cret; Path=/; HttpOnly; SameSite=Lax');
    res.type('html').send('<!doctype html><link rel="icon" href="data:,"><p>logged in</p>');
  });
}

// ---------------------------------------------------------------------------------------------
// Browser side

/** What a page's script could observe about one fetch()/XHR. */
export interface BrowserResult {
  readonly ok: boolean;
  /** HTTP status as exposed to script (0 for XHR network errors). */
  readonly status: number;
  /** The error's text when the call failed (fetch: `TypeError: Failed to fetch`). */
  readonly error: string | undefined;
  readonly body: string | undefined;
  /** Response headers readable from script (lower-case names), only for successful calls. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  credentials?: 'omit' | 'same-origin' | 'include';
  cache?: 'default' | 'no-store' | 'reload' | 'no-cache' | 'force-cache';
}

/** Runs `fetch(url, init)` from the page's own origin and reports what its script could see. */
export async function browserFetch(page: Page, url: string, init: FetchInit = {}): Promise<BrowserResult> {
  return page.evaluate(
    async ([u, i]) => {
      try {
        const res = await fetch(u, i as RequestInit);
        const headers: Record<string, string> = {};
        res.headers.forEach((value, name) => {
          headers[name] = value;
        });
        return { ok: true, status: res.status, error: undefined, body: await res.text(), headers };
      } catch (e) {
        return { ok: false, status: 0, error: String(e), body: undefined, headers: {} };
      }
    },
    [url, init] as const,
  );
}

/** The part of the page's XMLHttpRequest that `browserXhr` uses. */
interface XhrLike {
  open(method: string, url: string): void;
  withCredentials: boolean;
  setRequestHeader(name: string, value: string): void;
  getAllResponseHeaders(): string;
  onload: (() => void) | null;
  onerror: (() => void) | null;
  send(body: string | null): void;
  readonly status: number;
  readonly responseText: string;
}

/** The same with XMLHttpRequest (status 0 and an `error` event on CORS failure). */
export async function browserXhr(
  page: Page,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; withCredentials?: boolean } = {},
): Promise<BrowserResult> {
  return page.evaluate(
    ([u, i]) =>
      new Promise<BrowserResult>((resolve) => {
        // The page's XMLHttpRequest (the project compiles without the DOM lib, hence the local type).
        const Xhr = (globalThis as unknown as { XMLHttpRequest: new () => XhrLike }).XMLHttpRequest;
        const xhr = new Xhr();
        xhr.open(i.method ?? 'GET', u);
        xhr.withCredentials = i.withCredentials ?? false;
        for (const [k, v] of Object.entries(i.headers ?? {})) xhr.setRequestHeader(k, v);
        xhr.onload = () => {
          const headers: Record<string, string> = {};
          for (const line of xhr.getAllResponseHeaders().trim().split(/\r\n/)) {
            const c = line.indexOf(':');
            if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
          }
          resolve({ ok: true, status: xhr.status, error: undefined, body: xhr.responseText, headers });
        };
        xhr.onerror = () => resolve({ ok: false, status: xhr.status, error: 'XMLHttpRequest error event', body: undefined, headers: {} });
        xhr.send(i.body ?? null);
      }),
    [url, init] as const,
  );
}

/** A page loaded at `origin` in its own context, with Chromium's console (CORS errors) captured. */
export interface OriginPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console messages, including Chromium's "blocked by CORS policy" explanations. */
  readonly console: string[];
  /** Console lines that mention CORS. */
  corsErrors(): string[];
  /** Loads `origin` + `/` in a further page of the same context (shares cookies, HTTP and preflight cache). */
  open(origin: string): Promise<OriginPage>;
}

export async function openPage(browser: Browser, origin: string, context?: BrowserContext): Promise<OriginPage> {
  const ctx = context ?? (await browser.newContext());
  const page = await ctx.newPage();
  const messages: string[] = [];
  page.on('console', (m) => messages.push(m.text()));
  await page.goto(`${origin}/`);
  return {
    context: ctx,
    page,
    console: messages,
    corsErrors: () => messages.filter((l) => l.includes('CORS policy')),
    open: (o: string) => openPage(browser, o, ctx),
  };
}

// ---------------------------------------------------------------------------------------------
// Metrics

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed Prometheus text exposition. */
export class Metrics {
  constructor(readonly samples: readonly Sample[]) {}

  /**
   * Every series of a metric as `{ 'label=value label=value…': value }` (labels in exposition
   * order), so tests can assert the exact set of series, not just the ones they expect.
   */
  series(name: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.samples) {
      if (s.name !== name) continue;
      out[seriesKey(s.labels)] = s.value;
    }
    return out;
  }

  /** Sum of a metric's samples whose labels include `match`. */
  sum(name: string, match: Readonly<Record<string, string>> = {}): number {
    let total = 0;
    for (const s of this.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
    return total;
  }

  /** `cors_requests_total` series. */
  get requests(): Record<string, number> {
    return this.series('cors_requests_total');
  }

  /** `cors_violations_total` series. */
  get violations(): Record<string, number> {
    return this.series('cors_violations_total');
  }
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Expected `cors_requests_total` series: `[route, request_type, outcome, origin, value]` rows. */
export function requestSeries(...rows: Array<[route: string, requestType: string, outcome: string, origin: string, value: number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, requestType, outcome, origin, value] of rows) {
    out[seriesKey({ route, request_type: requestType, outcome, origin })] = value;
  }
  return out;
}

/** Expected `cors_violations_total` series: `[route, request_type, reason, value]` rows. */
export function violationSeries(...rows: Array<[route: string, requestType: string, reason: string, value: number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, requestType, reason, value] of rows) out[seriesKey({ route, request_type: requestType, reason })] = value;
  return out;
}

/** Parses the Prometheus text format (enough of it for prom-client's output). */
export function parseMetrics(text: string): Metrics {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let lm: RegExpExecArray | null;
      let consumed = 0;
      while ((lm = re.exec(m[2])) !== null) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
        consumed = re.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`unparseable labels: ${line}`);
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return new Metrics(samples);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Per-file fixture

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
