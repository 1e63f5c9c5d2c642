/**
 * Every source of an allowed origin obeys the same rules (issue #12 items 4, 5 and 6): `cors`-style
 * callbacks, RegExps (breadth and ReDoS) and wildcards with a trailing dot, attacked over real sockets.
 */
import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsOriginCallback, CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { MAX_REGEXP_VERDICTS } from '../../packages/cors-sentinel/src/origin/matcher';
import { metricSum } from '../support/sentinel';

const EVIL = 'https://evil.example';

function api(options: CorsSentinelOptions) {
  const registry = new Registry();
  const cors = corsSentinel({ logger: false, metrics: { registry }, ...options });
  const app = express();
  app.use(cors);
  app.get('/api/me', (_req, res) => {
    res.json({ secret: 'private' });
  });
  return { app, cors, registry };
}

function problems(options: CorsSentinelOptions): { code: string; path: string; message: string }[] {
  try {
    corsSentinel({ logger: false, metrics: false, ...options });
  } catch (err) {
    if (err instanceof CorsConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const get = (app: express.Express, origin: string) => request(app).get('/api/me').set('Origin', origin).set('Cookie', 'session=victim');

describe('item 4: origin(origin, callback) answers are held to the static rules', () => {
  const breaking: [string, CorsOriginCallback][] = [
    ['"*" with credentials', (_o, cb) => cb(null, '*')],
    ['an unanchored RegExp', (_o, cb) => cb(null, /evil\.example/)],
    ['true for every origin (reflection)', (_o, cb) => cb(null, true)],
    ['the request origin echoed back (reflection)', (o, cb) => cb(null, o)],
    ['a RegExp for every .com-like host', (_o, cb) => cb(null, /^https:\/\/[a-z0-9-]+\.example$/)],
    ['an array hiding one bad item', (_o, cb) => cb(null, ['https://app.example.com', /example/])],
  ];
  it.each(breaking)('fails closed and counts a resolver error for %s', async (_name, callback) => {
    const { app, cors, registry } = api({ origin: callback, credentials: true });
    const res = await get(app, EVIL);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const preflight = await request(app).options('/api/me').set('Origin', EVIL).set('Access-Control-Request-Method', 'PUT');
    expect(preflight.status).toBe(403);
    expect(await metricSum(registry, 'cors_violations_total', { reason: 'resolver_error' })).toBeGreaterThanOrEqual(1);
    cors.close();
  });

  it('keeps the usual allowlist callback working, with credentials', async () => {
    const allowlist = ['https://app.example.com'];
    const { app, cors } = api({ origin: (o, cb) => (allowlist.includes(o ?? '') ? cb(null, true) : cb(new Error('Not allowed by CORS'))), credentials: true });
    const ok = await get(app, 'https://app.example.com');
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect((await get(app, EVIL)).headers['access-control-allow-origin']).toBeUndefined();
    cors.close();
  });

  it('accepts anchored RegExps and origin strings, and "*" without credentials', async () => {
    const { app, cors } = api({ origin: (_o, cb) => cb(null, ['https://APP.example.com/', /^https:\/\/pr-\d+\.preview\.example\.com$/]), credentials: true });
    expect((await get(app, 'https://app.example.com')).headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect((await get(app, 'https://pr-7.preview.example.com')).headers['access-control-allow-origin']).toBe('https://pr-7.preview.example.com');
    expect((await get(app, 'https://pr-7.preview.example.com.evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    cors.close();
    const open = api({ origin: (_o, cb) => cb(null, '*') });
    expect((await get(open.app, EVIL)).headers['access-control-allow-origin']).toBe(EVIL);
    open.cors.close();
  });

  it('reflection needs dangerouslyReflectAnyOrigin, never with credentials, and cors_config_info says "reflect"', async () => {
    const reflecting: CorsOriginCallback = (_o, cb) => cb(null, true);
    expect(problems({ origin: reflecting, credentials: true, dangerouslyReflectAnyOrigin: true }).map((p) => p.code)).toEqual(['credentials_with_reflect_any']);
    const { app, cors, registry } = api({ origin: reflecting, dangerouslyReflectAnyOrigin: true });
    expect((await get(app, EVIL)).headers['access-control-allow-origin']).toBe(EVIL);
    expect(await metricSum(registry, 'cors_config_info', { origin_policy: 'reflect', credentials: 'false' })).toBe(1);
    cors.close();
  });
});

describe('item 4 (rule 17): a resolveOrigin that says yes to everything is reflection too', () => {
  it('fails closed with credentials, and keeps a selective resolver working (sync or async)', async () => {
    const yes = api({ resolveOrigin: () => true, credentials: true });
    expect((await get(yes.app, EVIL)).headers['access-control-allow-origin']).toBeUndefined();
    expect(await metricSum(yes.registry, 'cors_violations_total', { reason: 'resolver_error' })).toBe(1);
    yes.cors.close();
    for (const resolveOrigin of [(o: string) => o === 'https://app.example.com', async (o: string) => o === 'https://app.example.com']) {
      const selective = api({ resolveOrigin, credentials: true });
      expect((await get(selective.app, 'https://app.example.com')).headers['access-control-allow-credentials']).toBe('true');
      expect((await get(selective.app, EVIL)).headers['access-control-allow-origin']).toBeUndefined();
      selective.cors.close();
    }
  });

  it('is allowed only with dangerouslyReflectAnyOrigin, without credentials, and then reported as "reflect"', async () => {
    expect(problems({ resolveOrigin: () => true, credentials: true, dangerouslyReflectAnyOrigin: true }).map((p) => p.code)).toEqual(['credentials_with_reflect_any']);
    const { app, cors, registry } = api({ resolveOrigin: async () => true, dangerouslyReflectAnyOrigin: true });
    expect((await get(app, EVIL)).headers['access-control-allow-origin']).toBe(EVIL);
    expect(await metricSum(registry, 'cors_config_info', { origin_policy: 'reflect' })).toBe(1);
    cors.close();
  });
});

describe('item 5a: RegExp breadth is proven at start-up like wildcards', () => {
  it.each([
    [/^https:\/\/[a-z0-9-]+\.com$/, 'wildcard_too_broad', 'https://attacker.com'],
    [/^https:\/\/app.example.com$/, 'regexp_too_broad', 'https://appaexample.com'],
    [/^https:\/\/app\.example\.[a-z]+$/, 'regexp_too_broad', 'https://app.example.attacker'],
    [/^https:\/\/app\.example\.com[^/]*$/, 'regexp_too_broad', 'https://app.example.comattacker.io'],
    [/^https:\/\/[a-z]+\.github\.io$/, 'credentials_with_public_suffix_wildcard', 'https://attacker.github.io'],
  ])('refuses %s with credentials (%s), naming an origin it would grant', (regexp, code, example) => {
    const found = problems({ origins: [regexp], credentials: true });
    expect(found[0]).toEqual(expect.objectContaining({ path: 'origins', code }));
    expect(found[0]?.message).toContain(example);
  });

  it('keeps precise patterns, and only warns without credentials', async () => {
    for (const regexp of [/^https:\/\/pr-\d+\.preview\.example\.com$/, /^https:\/\/([a-z0-9-]+\.)*example\.com$/, /^https:\/\/example\.(com|net)$/, /^https:\/\/app\.example\.com(:\d+)?$/]) {
      expect(problems({ origins: [regexp], credentials: true })).toEqual([]);
    }
    const { app, cors } = api({ origins: [/^https:\/\/app.example.com$/] });
    expect(cors.policy.warnings[0]?.message).toMatch(/unescaped "\."/);
    cors.close();
    // And the unescaped dot really is the attack it is refused for: the attacker's look-alike is granted.
    expect((await get(app, 'https://app-example.com')).headers['access-control-allow-origin']).toBe('https://app-example.com');
  });
});

describe('item 5a: the proof never crashes on exotic patterns', () => {
  it.each([/^https:\/\/(?<sub>[a-z]+)\.example\.com$/u, /^https:\/\/\p{L}+\.example\.com$/u, /^https:\/\/[^\s]+\.example\.com$/, /^$/, /^https:\/\/\w{1,3}\.example\.com\b$/])(
    '%s is compiled, warned about or refused, never thrown past CorsConfigError',
    (regexp) => {
      for (const credentials of [true, false]) expect(() => problems({ origins: [regexp], credentials })).not.toThrow();
    },
  );
});

describe('item 5b: no Origin can stall the event loop through a RegExp', () => {
  const redos = /^https:\/\/([a-z]+|[a-z0-9]+)+\.example\.com$/;

  it('answers the catastrophic-backtracking Origin at once (linear-time engine) and keeps serving', async () => {
    const { app, cors } = api({ origins: [redos], credentials: true });
    // ~600 ms on V8's engine at 35 bytes, ×4 per 2 more characters: this one would take hours there.
    const attack = `https://${'a'.repeat(60)}.example.co`;
    const [attacked, normal] = await Promise.all([get(app, attack), get(app, 'https://abc.example.com')]);
    expect(attacked.headers['access-control-allow-origin']).toBeUndefined();
    expect(normal.headers['access-control-allow-origin']).toBe('https://abc.example.com');
    cors.close();
  });

  it('refuses patterns the linear-time engine cannot run, saying how to rewrite them', () => {
    const found = problems({ origins: [/^https:\/\/(?!admin)[a-z]+\.example\.com$/, /^https:\/\/(a+)\1\.example\.com$/] });
    expect(found.map((p) => p.code)).toEqual(['regexp_not_linear', 'regexp_not_linear']);
    expect(found[0]?.message).toMatch(/lookarounds or back-references/);
  });

  it('caches RegExp verdicts per origin, bounded against floods', async () => {
    const { app, cors } = api({ origins: [/^https:\/\/pr-\d+\.preview\.example\.com$/] });
    const verdicts = cors.policy.defaultRoute.origins.regexpVerdicts;
    await get(app, 'https://pr-1.preview.example.com');
    expect(verdicts.get('https://pr-1.preview.example.com')).toBe('/^https:\\/\\/pr-\\d+\\.preview\\.example\\.com$/');
    for (let i = 0; i < MAX_REGEXP_VERDICTS + 10; i++) cors.decide({ method: 'GET', path: '/', origin: `https://flood-${i}.example.net` });
    expect(verdicts.size).toBeLessThanOrEqual(MAX_REGEXP_VERDICTS);
    cors.close();
  });
});

describe('item 6: a trailing dot does not defeat the wildcard guards', () => {
  it.each([
    ['https://*.com.', 'wildcard_too_broad'],
    ['https://*.co.uk.', 'credentials_with_public_suffix_wildcard'],
  ])('refuses %s with credentials (%s)', (pattern, code) => {
    expect(problems({ origins: [pattern], credentials: true }).map((p) => p.code)).toEqual([code]);
  });

  it('grants no dotted look-alike, and warns about a dotted pattern', async () => {
    const { app, cors } = api({ origins: ['https://*.example.com'], credentials: true });
    for (const origin of ['https://attacker.com.', 'https://a.example.com.', 'https://example.com.']) {
      expect((await get(app, origin)).headers['access-control-allow-origin']).toBeUndefined();
    }
    cors.close();
    const dotted = api({ origins: ['https://*.example.com.'], credentials: true });
    expect(dotted.cors.policy.warnings[0]?.message).toContain('did you mean "https://*.example.com"');
    dotted.cors.close();
  });
});
