/**
 * The hot path's shortcuts against the general code they bypass: precomputed answers for exactly
 * listed origins, the in-place same-origin check, the no-copy origin parse, and the in-place hash.
 */
import fc from 'fast-check';
import { v3 as murmur3 } from 'murmurhash';
import { decide } from '../../packages/cors-sentinel/src/engine/decide';
import type { CorsRequest } from '../../packages/cors-sentinel/src/engine/decision';
import type { CompiledPolicy, CompiledRoutePolicy } from '../../packages/cors-sentinel/src/engine/compiled';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { hashOrigin } from '../../packages/cors-sentinel/src/metrics/distinct-origins';
import { parseRequestOrigin } from '../../packages/cors-sentinel/src/origin/parse';
import { isSameOrigin } from '../../packages/cors-sentinel/src/origin/same-origin';
import { testSentinel } from '../support/sentinel';

const EXACT = ['https://app.example.com', 'http://localhost:5173', 'capacitor://localhost', 'https://api.example.com:8443'];

/** The same policy with the precomputed answers removed: decide() must take its general path. */
function withoutExactGrants(policy: CompiledPolicy): CompiledPolicy {
  const strip = (r: CompiledRoutePolicy): CompiledRoutePolicy => ({ ...r, exactGrants: new Map(), requestHeaderVerdicts: new Map(), lastHeaderVerdict: { requested: '', verdict: undefined }, lastExactGrant: { origin: '', grant: undefined } });
  return { ...policy, defaultRoute: strip(policy.defaultRoute), routes: policy.routes.map(strip) };
}

const POLICIES: CorsSentinelOptions[] = [
  { origins: EXACT, credentials: true, maxAge: 600, exposedHeaders: ['x-request-id'], allowedHeaders: ['content-type', 'authorization'] },
  { origins: [...EXACT, 'https://*.tenant.example.com'], methods: ['GET', 'PUT', 'purge'], allowedHeaders: '*' },
  { origins: EXACT, credentials: true, allowedHeaders: ['content-type'], privateNetworkAccess: true, preflightContinue: true, optionsSuccessStatus: 200 },
  { origins: EXACT, allowedHeaders: '*', dangerouslyReflectRequestHeaders: true },
  {
    origins: EXACT,
    routes: [{ path: '/api/*', origins: ['https://app.example.com'], credentials: true }, { path: '/public/*', origins: '*' }],
  },
];

const requestArb = fc.record<CorsRequest>({
  method: fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT'),
  path: fc.constantFrom('/', '/api/x', '/public/y'),
  origin: fc.constantFrom(...EXACT),
  host: fc.constantFrom(undefined, 'app.example.com', 'api.example.com:8443', 'localhost:5173'),
  accessControlRequestMethod: fc.option(fc.constantFrom('GET', 'PUT', 'DELETE', 'purge', 'PURGE', 'POST'), { nil: undefined }),
  accessControlRequestHeaders: fc.option(
    fc.oneof(
      fc.constantFrom('', 'content-type', 'content-type, authorization', 'x-other', 'Authorization'),
      fc.array(fc.constantFrom('content-type', 'x-a', ' ', 'authorization'), { maxLength: 5 }).map((a) => a.join(',')),
    ),
    { nil: undefined },
  ),
  accessControlRequestPrivateNetwork: fc.constantFrom(undefined, 'true'),
  hasCookie: fc.boolean(),
});

describe('hot path shortcuts', () => {
  it.each(POLICIES.map((p, i) => [i, p] as const))('answers exactly listed origins as the general path does (policy %i)', (_i, options) => {
    const s = testSentinel(options);
    const general = withoutExactGrants(s.policy);
    fc.assert(
      fc.property(requestArb, (r) => {
        // Twice: the memo of request-header verdicts must not change the second answer.
        for (let i = 0; i < 2; i++) expect(decide(s.policy, r)).toEqual(decide(general, r));
      }),
      { numRuns: 3_000 },
    );
    s.close();
  });

  it('bounds the memo of request-header verdicts, whatever a client sends', () => {
    const s = testSentinel({ origins: EXACT, allowedHeaders: '*' });
    for (let i = 0; i < 10_000; i++) decide(s.policy, { method: 'OPTIONS', path: '/', origin: EXACT[0], accessControlRequestMethod: 'PUT', accessControlRequestHeaders: `x-h${i}` });
    decide(s.policy, { method: 'OPTIONS', path: '/', origin: EXACT[0], accessControlRequestMethod: 'PUT', accessControlRequestHeaders: 'x'.repeat(5_000) });
    expect(s.policy.defaultRoute.requestHeaderVerdicts.size).toBeLessThanOrEqual(64);
    expect([...s.policy.defaultRoute.requestHeaderVerdicts.keys()].every((k) => k.length <= 256)).toBe(true);
    s.close();
  });

  it('hashes origins in place exactly as murmurhash v3 hashes their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.webUrl()), fc.nat({ max: 2 ** 32 - 1 }), (value, seed) => {
        expect(hashOrigin(value, seed)).toBe(murmur3(value, seed));
        expect(hashOrigin(value, 0)).toBe(murmur3(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('parses a normalised origin into itself and any other spelling into its normal form', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const arb = fc.record({
      scheme: fc.constantFrom('http', 'https', 'capacitor', 'ws'),
      labels: fc.array(label, { minLength: 1, maxLength: 4 }),
      port: fc.option(fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 1, max: 65535 })), { nil: undefined }),
      zeros: fc.nat(2),
      upper: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
    });
    fc.assert(
      fc.property(arb, ({ scheme, labels, port, zeros, upper }) => {
        const host = labels.join('.');
        const defaults: Record<string, number> = { http: 80, https: 443, ws: 80 };
        const normal = `${scheme}://${host}${port === undefined || defaults[scheme] === port ? '' : `:${port}`}`;
        const padded = port === undefined ? '' : `${'0'.repeat(zeros)}${port}`.slice(-Math.max(5, String(port).length));
        const written = `${scheme}://${host}${port === undefined ? '' : `:${padded}`}`;
        const spelled = [...written].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
        expect(parseRequestOrigin(spelled)?.origin).toBe(normal);
        expect(parseRequestOrigin(normal)?.origin).toBe(normal);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('isSameOrigin', () => {
  it.each([
    ['https://api.example.com', 'api.example.com', true],
    ['https://API.Example.com', 'api.example.COM', true],
    ['https://api.example.com', 'api.example.com:443', true],
    ['http://api.example.com', 'api.example.com:80', true],
    ['http://api.example.com', 'api.example.com:443', false],
    ['https://api.example.com:8443', 'api.example.com:8443', true],
    ['https://api.example.com:8443', 'api.example.com', false],
    ['https://api.example.com', 'api.example.co', false],
    ['https://evil.example.com', 'api.example.com', false],
    // Only http(s) pages are served: a custom-scheme origin is never the API's own, whatever its host.
    ['capacitor://localhost', 'localhost', false],
    ['ws://api.example.com', 'api.example.com', false],
    ['null', 'null', false],
    ['https://api.example.com', undefined, false],
    ['https://api.example.com', '', false],
    // No Unicode case folding: U+212A KELVIN SIGN lower-cases to "k" but is not the same host.
    ['https://\u212Aey.example', 'key.example', false],
    ['https://\u00e9.example', '\u00c9.example', false],
  ])('%s with Host %s → %s', (origin, host, same) => {
    expect(isSameOrigin(origin, host)).toBe(same);
  });

  it.each([
    ['https://api.example.com', 'https', true],
    ['http://api.example.com', 'https', false],
    ['https://api.example.com', 'http', false],
    ['http://api.example.com', 'http', true],
  ] as const)('%s with Host api.example.com over %s → %s', (origin, scheme, same) => {
    expect(isSameOrigin(origin, 'api.example.com', scheme)).toBe(same);
  });

  it('agrees with a lower-case-and-compare reference on ASCII input', () => {
    const reference = (origin: string, host: string, scheme: 'http' | 'https' | undefined): boolean => {
      const sep = origin.indexOf('://');
      if (host === '' || sep === -1) return false;
      const originScheme = origin.slice(0, sep).toLowerCase();
      if (originScheme !== 'http' && originScheme !== 'https') return false;
      if (scheme !== undefined && scheme !== originScheme) return false;
      const o = origin.slice(sep + 3).toLowerCase();
      let h = host.toLowerCase();
      if (originScheme === 'https' && h.endsWith(':443') && o.length !== h.length) h = h.slice(0, -4);
      if (originScheme === 'http' && h.endsWith(':80') && o.length !== h.length) h = h.slice(0, -3);
      return o === h;
    };
    const hostArb = fc.constantFrom('api.example.com', 'API.example.com', 'api.example.com:443', 'api.example.com:80', 'api.example.com:8443', 'x', '');
    const originArb = fc.tuple(fc.constantFrom('https://', 'http://', 'HTTPS://', 'ws://', ''), hostArb).map(([s, h]) => s + h);
    const schemeArb = fc.constantFrom(undefined, 'http' as const, 'https' as const);
    fc.assert(fc.property(originArb, hostArb, schemeArb, (o, h, s) => expect(isSameOrigin(o, h, s)).toBe(reference(o, h, s))), { numRuns: 5_000 });
  });
});
