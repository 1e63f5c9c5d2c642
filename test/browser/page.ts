/** The browser side: fetch()/XHR run from a page's own origin, and what its script could see. */
import type { Browser, BrowserContext, Page } from 'playwright-core';


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

/**
 * Submits a real HTML form (a top-level POST navigation) with one field; resolves with the status of
 * the answer. `enctype` as a form allows: `text/plain` is how pages smuggle JSON-looking bodies.
 */
export async function formPost(
  page: Page, url: string, field: readonly [name: string, value: string] = ['amount', '1000'], enctype = 'application/x-www-form-urlencoded',
): Promise<number> {
  // The answer, not the navigation: Chromium turns an empty 403 into an error page (no 'load').
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === url && r.request().method() === 'POST'),
    page.evaluate(([u, [name, value], type]) => {
      const doc = (globalThis as unknown as { document: { createElement(t: string): any; body: { appendChild(e: unknown): void } } }).document;
      const form = doc.createElement('form');
      form.method = 'POST';
      form.action = u;
      form.enctype = type;
      const input = doc.createElement('input');
      input.name = name;
      input.value = value;
      form.appendChild(input);
      doc.body.appendChild(form);
      form.submit();
    }, [url, field, enctype] as const),
  ]);
  return response.status();
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
