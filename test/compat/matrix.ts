/**
 * The generated matrix of the differential test: `cors` option sets (every origin form × a sweep of
 * every value of every other option, then a seeded random mix of them) and the requests a browser,
 * a script or a scanner sends.
 */
import type { CorsOptions } from 'cors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';

export const HOST = 'api.example.com';
export const APP = 'https://app.example.com';
export const SECOND = 'https://pr-12.preview.example.com';
export const EVIL = 'https://evil.example.net';
/** The origin function fails for this one (a database outage, say). */
export const FLAKY = 'https://flaky.example.com';

export type OriginKind = 'string' | 'array' | 'regexp' | 'function' | 'star' | 'reflect' | 'disabled';
export const ORIGIN_KINDS: readonly OriginKind[] = ['string', 'array', 'regexp', 'function', 'star', 'reflect', 'disabled'];

export interface OptionSet {
  readonly id: string;
  readonly kind: OriginKind;
  /** Exactly what `cors()` gets. */
  readonly cors: CorsOptions;
  /** What the core gets: the same object, plus the opt-ins the core requires (listed as differences). */
  readonly core: CorsSentinelOptions;
}

const LISTED = [APP, SECOND];
function originOf(kind: OriginKind): CorsOptions['origin'] {
  switch (kind) {
    case 'string': return APP;
    case 'array': return [APP, /^https:\/\/pr-\d+\.preview\.example\.com$/];
    case 'regexp': return /^https:\/\/(app|pr-\d+\.preview)\.example\.com$/;
    case 'function': return (origin, cb) => (origin === FLAKY ? cb(new Error('tenant database unavailable')) : cb(null, LISTED.includes(origin ?? '')));
    case 'star': return '*';
    case 'reflect': return true;
    case 'disabled': return false;
  }
}

/** The values each option takes; `undefined` means "not set" (the package's default). */
const VALUES = {
  methods: [undefined, ['GET', 'PUT', 'POST'], 'GET,POST,DELETE,PATCH', ['get', 'put']],
  allowedHeaders: [undefined, ['Content-Type', 'X-Custom'], 'content-type,authorization', []],
  exposedHeaders: [undefined, ['X-Total', 'X-Request-Id'], 'X-Total'],
  credentials: [false, true],
  maxAge: [undefined, 600, 0, 100_000],
  optionsSuccessStatus: [undefined, 200],
  preflightContinue: [false, true],
} as const;
type Field = keyof typeof VALUES;

export const VARIANTS_PER_KIND = 12;

/** mulberry32: a tiny seeded PRNG, so that the matrix is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function optionSets(): OptionSet[] {
  const sets: OptionSet[] = [];
  ORIGIN_KINDS.forEach((kind, k) => {
    const random = prng(0xc0de + k);
    for (let i = 0; i < VARIANTS_PER_KIND; i++) {
      const options: Record<string, unknown> = { origin: originOf(kind) };
      for (const field of Object.keys(VALUES) as Field[]) {
        const values = VALUES[field] as readonly unknown[];
        // The first variants sweep every value of every option; the rest mix them at random (seeded).
        const index = i < values.length ? (i + k) % values.length : Math.floor(random() * values.length);
        const value = values[index];
        if (value !== undefined) options[field] = Array.isArray(value) ? [...value] : value;
      }
      // Credentials with "*" or reflect-any are configuration errors in the core: tested separately.
      if (kind === 'star' || kind === 'reflect') delete options.credentials;
      const core = { ...options, ...(kind === 'reflect' ? { dangerouslyReflectAnyOrigin: true } : {}) } as CorsSentinelOptions;
      sets.push({ id: `${kind}#${i} ${describe(options)}`, kind, cors: options as CorsOptions, core });
    }
  });
  return sets;
}

function describe(o: Record<string, unknown>): string {
  return Object.entries(o)
    .filter(([k]) => k !== 'origin')
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

export interface MatrixRequest {
  readonly name: string;
  readonly method: string;
  /** Header names as sent (some deliberately odd-cased). */
  readonly headers: Readonly<Record<string, string>>;
}

const pre = (origin: string, method: string, requestHeaders?: string): Record<string, string> => ({
  Origin: origin, 'Access-Control-Request-Method': method, ...(requestHeaders !== undefined ? { 'Access-Control-Request-Headers': requestHeaders } : {}),
});

export const REQUESTS: readonly MatrixRequest[] = [
  { name: 'actual allowed', method: 'GET', headers: { Origin: APP } },
  { name: 'actual allowed (second origin, POST)', method: 'POST', headers: { Origin: SECOND } },
  { name: 'actual allowed with cookie', method: 'GET', headers: { Origin: APP, Cookie: 'sid=1' } },
  { name: 'actual rejected', method: 'GET', headers: { Origin: EVIL } },
  { name: 'actual from null origin', method: 'GET', headers: { Origin: 'null' } },
  { name: 'actual from malformed origin', method: 'GET', headers: { Origin: 'not-an-origin' } },
  { name: 'actual, origin function fails', method: 'GET', headers: { Origin: FLAKY } },
  { name: 'non-CORS', method: 'GET', headers: {} },
  { name: 'same-origin POST with Origin', method: 'POST', headers: { Origin: `https://${HOST}` } },
  { name: 'preflight allowed', method: 'OPTIONS', headers: pre(APP, 'PUT', 'content-type') },
  { name: 'preflight without requested headers', method: 'OPTIONS', headers: pre(APP, 'DELETE') },
  { name: 'preflight with a custom header', method: 'OPTIONS', headers: pre(APP, 'POST', 'x-custom') },
  { name: 'preflight with authorization', method: 'OPTIONS', headers: pre(SECOND, 'GET', 'authorization,content-type') },
  { name: 'preflight PATCH', method: 'OPTIONS', headers: pre(APP, 'PATCH') },
  { name: 'preflight rejected origin', method: 'OPTIONS', headers: pre(EVIL, 'PUT') },
  { name: 'preflight, origin function fails', method: 'OPTIONS', headers: pre(FLAKY, 'PUT') },
  { name: 'OPTIONS with Origin, no request method', method: 'OPTIONS', headers: { Origin: APP } },
  { name: 'OPTIONS without Origin', method: 'OPTIONS', headers: {} },
  { name: 'odd casing: header names', method: 'OPTIONS', headers: { ORIGIN: APP, 'access-control-REQUEST-method': 'PUT', 'ACCESS-CONTROL-REQUEST-HEADERS': 'content-type' } },
  { name: 'odd casing: requested header names', method: 'OPTIONS', headers: pre(APP, 'PUT', 'Content-Type, X-Custom') },
  { name: 'odd casing: Origin value', method: 'GET', headers: { Origin: 'HTTPS://APP.Example.COM' } },
  { name: 'odd casing: request method', method: 'OPTIONS', headers: pre(APP, 'put') },
];
