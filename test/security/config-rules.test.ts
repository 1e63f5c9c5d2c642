/**
 * The security rules (docs/threat-model.md) enforced when a policy is compiled. Each test tries to get a
 * dangerous configuration past the compiler, or a dangerous answer out of the engine.
 */
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError, type ConfigProblemCode } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { decideSync, header, preflight, req, testSentinel } from '../support/sentinel';

function problemCodes(options: CorsSentinelOptions): ConfigProblemCode[] {
  try {
    compilePolicy(options);
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => p.code);
    throw err;
  }
  return [];
}

describe('rule 1: credentials never pair with any origin', () => {
  it.each<[string, CorsSentinelOptions, ConfigProblemCode]>([
    ['"*"', { origins: '*', credentials: true }, 'credentials_with_any_origin'],
    ['"*" in a list', { origins: ['https://a.example.com', '*'], credentials: true }, 'credentials_with_any_origin'],
    ['reflect-any, even when opted in', { origin: true, dangerouslyReflectAnyOrigin: true, credentials: true }, 'credentials_with_reflect_any'],
    ['a RegExp that matches anything', { origins: [/^https?:\/\/.*$/], credentials: true }, 'wildcard_too_broad'],
    ['a RegExp that matches any subdomain of anything', { origins: [/^https:\/\/[a-z.]+(:\d+)?$/], credentials: true }, 'wildcard_too_broad'],
    ['a wildcard over a TLD', { origins: ['https://*.com'], credentials: true }, 'wildcard_too_broad'],
    ['a route that turns credentials on over "*"', { origins: '*', routes: [{ path: '/me', credentials: true }] }, 'credentials_with_any_origin'],
  ])('refuses %s', (_name, options, code) => {
    expect(problemCodes(options)).toContain(code);
  });

  it('refuses "*" request/exposed headers with credentials (browsers take them literally)', () => {
    expect(problemCodes({ origins: ['https://a.example.com'], credentials: true, allowedHeaders: '*', exposedHeaders: '*' })).toEqual([
      'credentials_with_wildcard_headers',
      'credentials_with_wildcard_headers',
    ]);
  });

  it('accepts a tight RegExp with credentials', () => {
    expect(problemCodes({ origins: [/^https:\/\/pr-\d+\.preview\.example\.com$/], credentials: true })).toEqual([]);
  });
});

describe('rule 2: null and file:// only when dangerously enabled; custom schemes are exact origins', () => {
  it('refuses "null" and "file://" in the config without the opt-in', () => {
    expect(problemCodes({ origins: ['null', 'file://'] })).toEqual(['null_origin_not_enabled', 'null_origin_not_enabled']);
  });

  it('rejects a null Origin and never answers ACAO: null by accident', () => {
    const s = testSentinel({ origins: ['https://app.example.com'], dangerouslyAllowNullOrigin: true });
    for (const r of [req({ origin: 'null' }), preflight('null')]) {
      const d = decideSync(s, r);
      expect(d.outcome).toBe('rejected');
      expect(d.reason).toBe('null_origin');
      expect(header(d, 'access-control-allow-origin')).toBeUndefined();
    }
  });

  it('answers ACAO: null only when "null" is listed and opted in', () => {
    const s = testSentinel({ origins: ['null'], dangerouslyAllowNullOrigin: true });
    expect(header(decideSync(s, req({ origin: 'null' })), 'access-control-allow-origin')).toBe('null');
  });

  it('treats capacitor://localhost and ionic://localhost as exact origins', () => {
    const s = testSentinel({ origins: ['capacitor://localhost', 'ionic://localhost'], credentials: true });
    expect(decideSync(s, req({ origin: 'capacitor://localhost' })).outcome).toBe('allowed');
    expect(decideSync(s, req({ origin: 'ionic://localhost' })).outcome).toBe('allowed');
    for (const origin of ['capacitor://localhost.evil.com', 'capacitor://evil', 'http://localhost', 'file://']) {
      expect(decideSync(s, req({ origin })).outcome).toBe('rejected');
    }
  });
});

describe('rule 4: no public-suffix wildcards or plain http with credentials', () => {
  it.each([
    ['https://*.github.io'],
    ['https://*.co.uk'],
    ['https://*.herokuapp.com'],
  ])('refuses %s with credentials', (pattern) => {
    expect(problemCodes({ origins: [pattern], credentials: true })).toEqual(['credentials_with_public_suffix_wildcard']);
  });

  it('accepts a public-suffix wildcard with the explicit opt-in', () => {
    expect(problemCodes({ origins: ['https://*.github.io'], credentials: true, dangerouslyAllowPublicSuffixWildcards: true })).toEqual([]);
  });

  it('refuses http origins with credentials, except loopback, unless opted in', () => {
    expect(problemCodes({ origins: ['http://app.example.com', 'http://*.example.com'], credentials: true })).toEqual([
      'credentials_with_insecure_origin',
      'credentials_with_insecure_origin',
    ]);
    expect(problemCodes({ origins: ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000'], credentials: true })).toEqual([]);
    expect(problemCodes({ origins: ['http://app.example.com'], credentials: true, dangerouslyAllowInsecureOriginsWithCredentials: true })).toEqual([]);
  });

  it('rejects at run time an http origin that a resolver or pattern admits into a credentialed policy', () => {
    const s = testSentinel({ origins: [/^(http|https):\/\/[a-z]+\.example\.com$/], resolveOrigin: () => true, credentials: true });
    expect(decideSync(s, req({ origin: 'http://shop.example.com' })).reason).toBe('insecure_origin');
    expect(decideSync(s, req({ origin: 'https://shop.example.com' })).outcome).toBe('allowed');
  });
});

describe('rule 5: configured origins are normalised', () => {
  it('lower-cases, elides default ports and converts IDN hosts to punycode', () => {
    const s = testSentinel({ origins: ['HTTPS://App.Example.COM:443', 'https://bücher.example', 'http://localhost:80'] });
    expect(decideSync(s, req({ origin: 'https://app.example.com' })).outcome).toBe('allowed');
    expect(decideSync(s, req({ origin: 'https://xn--bcher-kva.example' })).outcome).toBe('allowed');
    expect(decideSync(s, req({ origin: 'http://localhost' })).outcome).toBe('allowed');
  });

  it('refuses paths, queries and credentials in origins, and drops a lone trailing slash with a warning', () => {
    expect(problemCodes({ origins: ['https://a.example.com/app', 'https://a.example.com?x=1', 'https://user@a.example.com'] })).toEqual([
      'origin_has_path',
      'origin_has_path',
      'origin_has_path',
    ]);
    const policy = compilePolicy({ origins: ['https://a.example.com/'] });
    expect(policy.defaultRoute.origins.exact.has('https://a.example.com')).toBe(true);
    expect(policy.warnings.map((w) => w.path)).toEqual(['origins']);
  });
});

describe('rule 11: max-age is bounded', () => {
  it('caps values above 86400 s and warns above Chromium\'s 7200 s', () => {
    const capped = compilePolicy({ origins: ['https://a.example.com'], maxAge: 604_800 });
    expect(capped.defaultRoute.preflightHeaders).toContainEqual(['Access-Control-Max-Age', '86400']);
    expect(capped.warnings[0]?.message).toMatch(/capped at 86400/);
    expect(compilePolicy({ origins: ['https://a.example.com'], maxAge: 10_000 }).warnings[0]?.message).toMatch(/Chromium caps/);
    expect(compilePolicy({ origins: ['https://a.example.com'], maxAge: 600 }).warnings).toEqual([]);
  });

  it('refuses negative or fractional max-age', () => {
    expect(problemCodes({ origins: ['https://a.example.com'], maxAge: -1 })).toEqual(['invalid_max_age']);
    expect(problemCodes({ origins: ['https://a.example.com'], maxAge: 1.5 })).toEqual(['invalid_max_age']);
  });
});

describe('rule 12: Private Network Access is off by default and never with "*"', () => {
  it('rejects a PNA preflight unless enabled', () => {
    const off = testSentinel({ origins: ['https://a.example.com'] });
    const pna = { ...preflight('https://a.example.com', 'GET'), accessControlRequestPrivateNetwork: 'true' };
    expect(decideSync(off, pna).reason).toBe('private_network_not_allowed');
    const on = testSentinel({ origins: ['https://a.example.com'], privateNetworkAccess: true });
    const d = decideSync(on, pna);
    expect(d.outcome).toBe('allowed');
    expect(header(d, 'access-control-allow-private-network')).toBe('true');
    expect(d.vary).toContain('Access-Control-Request-Private-Network');
  });

  it('refuses PNA with any origin', () => {
    expect(problemCodes({ origins: '*', privateNetworkAccess: true })).toEqual(['private_network_with_any_origin']);
    expect(problemCodes({ origin: true, dangerouslyReflectAnyOrigin: true, privateNetworkAccess: true })).toEqual(['private_network_with_any_origin']);
  });
});

describe('rule 13: forbidden methods and header names are configuration errors', () => {
  it('refuses CONNECT, TRACE and TRACK in any case', () => {
    expect(problemCodes({ origins: ['https://a.example.com'], methods: ['GET', 'connect', 'TRACE', 'Track'] })).toEqual([
      'forbidden_method',
      'forbidden_method',
      'forbidden_method',
    ]);
  });

  it('refuses forbidden request headers and unexposable response headers', () => {
    expect(
      problemCodes({
        origins: ['https://a.example.com'],
        allowedHeaders: ['content-type', 'Cookie', 'host', 'sec-fetch-mode', 'proxy-authorization', 'bad header'],
        exposedHeaders: ['x-ok', 'set-cookie'],
      }),
    ).toEqual(['forbidden_header_name', 'forbidden_header_name', 'forbidden_header_name', 'forbidden_header_name', 'invalid_header_name', 'forbidden_header_name']);
  });
});
