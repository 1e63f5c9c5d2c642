/**
 * Koa's error path: `ctx.onerror` removes every header, then sets the error's `err.headers`. The Koa
 * adapter puts the headers its decision wrote into `err.headers` before rethrowing (src/adapters/koa.ts).
 */
import vary from 'vary';
import type { Decision } from '../engine/decision';

/** Our merged `err.headers` → the application's own, so that an error object thrown again starts from the app's. */
const APP_HEADERS = new WeakMap<object, unknown>();

/**
 * Sets `err.headers` to the application's error headers plus the decision's: our CORS headers replace
 * the application's of the same name, our Vary fields are appended. Only what the decision wrote, never
 * what the response carried: a rejected origin gets Vary and nothing else. Always a fresh object (a
 * shared `headers` object is never changed), remembered so that an error object thrown again starts
 * from the application's headers, not an earlier request's. A thrown non-object (`throw 'x'`) cannot
 * carry headers: Koa answers it with a plain 500, as before. Returns whether the application's headers
 * held an Access-Control-Allow-Origin: another CORS layer, reported, and left alone when ours has none.
 */
export function keepCorsHeaders(err: unknown, d: Decision | undefined): boolean {
  if (d === undefined || typeof err !== 'object' || err === null || (d.headers.length === 0 && d.vary.length === 0)) return false;
  const e = err as { headers?: unknown };
  let appAllowOrigin = false;
  try {
    const app = e.headers !== null && typeof e.headers === 'object' && APP_HEADERS.has(e.headers) ? APP_HEADERS.get(e.headers) : e.headers;
    const ours = new Set(d.headers.map(([name]) => name.toLowerCase()));
    const headers: Record<string, unknown> = {};
    let varyValue = '';
    for (const [name, value] of Object.entries(app !== null && typeof app === 'object' ? app : {})) {
      const lower = name.toLowerCase();
      appAllowOrigin ||= lower === 'access-control-allow-origin';
      if (lower === 'vary') varyValue = Array.isArray(value) ? value.join(', ') : String(value);
      else if (!ours.has(lower)) headers[name] = value;
    }
    for (const [name, value] of d.headers) headers[name] = value;
    if (d.vary.length > 0) varyValue = vary.append(varyValue, d.vary as string[]);
    if (varyValue !== '') headers.Vary = varyValue;
    APP_HEADERS.set(headers, app);
    e.headers = headers;
  } catch {
    // A frozen error or a throwing `headers` getter: left as thrown, Koa answers it as before.
  }
  return appAllowOrigin;
}
