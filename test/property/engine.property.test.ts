/**
 * Properties over generated input: no Origin / Access-Control-Request-Method / -Headers value crashes
 * the engine, grants an origin outside the policy, or produces a header value Node would refuse.
 */
import fc from 'fast-check';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { parseRequestOrigin } from '../../packages/cors-sentinel/src/origin/parse';
import type { CorsRequest } from '../../packages/cors-sentinel/src/engine/decision';
import { decideSync, testSentinel } from '../support/sentinel';

const ALLOWED_EXACT = new Set(['https://app.example.com', 'http://localhost:5173', 'capacitor://localhost']);
const s = testSentinel({
  origins: [...ALLOWED_EXACT, 'https://*.tenant.example.com', /^https:\/\/pr-\d{1,4}\.preview\.example\.com$/],
  credentials: true,
  allowedHeaders: ['content-type', 'x-api-key'],
  maxAge: 600,
});

/** The policy, restated independently of the engine: what may ever be granted. */
function inPolicy(origin: string): boolean {
  if (ALLOWED_EXACT.has(origin)) return true;
  const m = /^https:\/\/([a-z0-9_-]+\.)+tenant\.example\.com$/.exec(origin);
  if (m) return true;
  return /^https:\/\/pr-\d{1,4}\.preview\.example\.com$/.test(origin);
}

const near = fc.constantFrom(
  'https://app.example.com', 'http://localhost:5173', 'capacitor://localhost', 'https://a.tenant.example.com',
  'https://pr-12.preview.example.com', 'null', 'file://', 'https://tenant.example.com',
);
const mutated = fc.tuple(near, fc.string({ maxLength: 6 }), fc.nat(40), fc.boolean()).map(([base, noise, at, upper]) => {
  const i = Math.min(at, base.length);
  const s2 = base.slice(0, i) + noise + base.slice(i);
  return upper ? s2.toUpperCase() : s2;
});
const originArb = fc.oneof(near, mutated, fc.string({ maxLength: 80 }), fc.webUrl().map((u) => u.replace(/\/$/, '')), fc.string({ unit: 'binary', maxLength: 30 }));
const methodArb = fc.oneof(fc.constantFrom('GET', 'PUT', 'DELETE', 'patch', 'TRACE', ''), fc.string({ maxLength: 10 }));
const headersArb = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('content-type', 'Content-Type, X-API-Key', 'x-evil', ''),
  fc.array(fc.constantFrom('content-type', 'x-api-key', 'x-other', ' ', '\r\n', 'a b'), { maxLength: 40 }).map((a) => a.join(',')),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

const requestArb = fc.record<CorsRequest>({
  method: fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT'),
  path: fc.constantFrom('/', '/api/x'),
  origin: originArb,
  accessControlRequestMethod: fc.option(methodArb, { nil: undefined }),
  accessControlRequestHeaders: headersArb,
  hasCookie: fc.boolean(),
});

describe('engine properties', () => {
  it('never throws, never grants outside the policy, never writes an invalid header', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const d = decideSync(s, r);
        const acao = d.headers.find(([n]) => n === 'Access-Control-Allow-Origin')?.[1];
        if (acao !== undefined) {
          expect(acao).not.toBe('*');
          expect(acao).not.toBe('null');
          expect(inPolicy(acao)).toBe(true);
          // Only ever the request's own origin, normalised.
          expect(parseRequestOrigin(r.origin as string)?.origin).toBe(acao);
        }
        if (d.outcome === 'allowed') expect(inPolicy(d.origin as string)).toBe(true);
        for (const [name, value] of d.headers) {
          expect(() => validateHeaderName(name)).not.toThrow();
          expect(() => validateHeaderValue(name, value)).not.toThrow();
        }
        if (d.outcome === 'rejected') expect(d.headers).toEqual([]);
        if (d.requestType === 'preflight') {
          const acah = d.headers.find(([n]) => n === 'Access-Control-Allow-Headers')?.[1];
          if (acah !== undefined) expect(acah).toBe('content-type, x-api-key');
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('parses only what it can serialise back unchanged (after normalisation)', () => {
    fc.assert(
      fc.property(originArb, (raw) => {
        const parsed = parseRequestOrigin(raw);
        if (parsed) expect(parseRequestOrigin(parsed.origin)?.origin).toBe(parsed.origin);
      }),
      { numRuns: 20_000 },
    );
  });
});
