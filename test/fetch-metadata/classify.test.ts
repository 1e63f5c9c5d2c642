/** The pure classifier: Go 1.25 CrossOriginProtection's rules, with a bounded site label. */
import fc from 'fast-check';
import { classifyRequest, PROTECTION_DECISIONS, SITES, type FetchMetadataRequest } from '../../packages/cors-sentinel/src/fetch-metadata/classify';
import { createSentinel } from '../../packages/cors-sentinel/src';

const post = (r: Partial<FetchMetadataRequest>): FetchMetadataRequest => ({ method: 'POST', origin: undefined, host: 'api.example.com', ...r });
const judge = (r: Partial<FetchMetadataRequest>) => {
  const c = classifyRequest(post(r));
  return c === undefined ? 'not judged' : `${c.site} ${c.needsTrust ? 'needs-trust' : 'passes'} by ${c.by}`;
};

describe('classifyRequest', () => {
  it('never judges GET, HEAD or OPTIONS, whatever the headers say', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(classifyRequest({ method, origin: 'https://evil.example', secFetchSite: 'cross-site' })).toBeUndefined();
    }
  });

  it('judges every other method, lower-case ones included (exact comparison, as Go)', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post', 'get', 'PROPFIND']) {
      expect(classifyRequest({ method, origin: undefined, secFetchSite: 'cross-site' })?.site).toBe('cross-site');
    }
  });

  it('trusts Sec-Fetch-Site same-origin and none, and asks for trust on same-site and cross-site', () => {
    expect(judge({ secFetchSite: 'same-origin', origin: 'https://evil.example' })).toBe('same-origin passes by sec-fetch-site');
    expect(judge({ secFetchSite: 'none' })).toBe('none passes by sec-fetch-site');
    expect(judge({ secFetchSite: 'same-site', origin: 'https://www.example.com' })).toBe('same-site needs-trust by sec-fetch-site');
    expect(judge({ secFetchSite: 'cross-site', origin: 'https://evil.example' })).toBe('cross-site needs-trust by sec-fetch-site');
  });

  it('labels values no browser sends "unknown" and fails closed on them', () => {
    for (const v of ['Cross-Site', 'same-origin, cross-site', 'constructor', '__proto__', 'toString', ' same-origin', 'same-origin\u0000', 'x'.repeat(10_000)]) {
      expect(judge({ secFetchSite: v })).toBe('unknown needs-trust by sec-fetch-site');
    }
  });

  it('without Sec-Fetch-Site and without Origin: not a browser cross-site request, passes as "none"', () => {
    expect(judge({})).toBe('none passes by no-browser-signal');
    expect(judge({ origin: '', secFetchSite: '' })).toBe('none passes by no-browser-signal');
  });

  it('without Sec-Fetch-Site compares Origin with Host (default ports, case)', () => {
    expect(judge({ origin: 'https://api.example.com' })).toBe('same-origin passes by origin');
    expect(judge({ origin: 'https://API.example.com', host: 'api.example.com:443' })).toBe('same-origin passes by origin');
    expect(judge({ origin: 'https://app.example.com' })).toBe('same-site needs-trust by origin');
    expect(judge({ origin: 'https://api.example.com:8443' })).toBe('same-site needs-trust by origin');
    expect(judge({ origin: 'https://evil.example' })).toBe('cross-site needs-trust by origin');
    expect(judge({ origin: 'https://a.github.io', host: 'b.github.io' })).toBe('cross-site needs-trust by origin');
    expect(judge({ origin: 'null' })).toBe('cross-site needs-trust by origin');
    expect(judge({ origin: 'https://evil.example/path' })).toBe('unknown needs-trust by origin');
    expect(judge({ origin: 'https://api.example.com', host: undefined })).toBe('cross-site needs-trust by origin');
    expect(judge({ origin: 'http://[::1]:3000', host: '[::1]:3000' })).toBe('same-origin passes by origin');
  });

  it('an http page on the https API\'s host is same-site once the scheme is known (TLS, or a trusted proxy read only then)', () => {
    let reads = 0;
    const forwardedScheme = (): 'https' => {
      reads++;
      return 'https';
    };
    expect(judge({ origin: 'http://api.example.com', scheme: 'https' })).toBe('same-site needs-trust by origin');
    expect(judge({ origin: 'http://api.example.com', forwardedScheme })).toBe('same-site needs-trust by origin');
    expect(judge({ origin: 'https://api.example.com', forwardedScheme })).toBe('same-origin passes by origin');
    expect(reads).toBe(2);
    // Another host: the proxy's word is not even read.
    expect(judge({ origin: 'http://app.example.com', forwardedScheme })).toBe('same-site needs-trust by origin');
    expect(reads).toBe(2);
  });

  it('always returns a site of the fixed set and never throws, whatever the headers', () => {
    const header = fc.option(fc.oneof(fc.string(), fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none', 'null', 'https://api.example.com')), { nil: undefined });
    fc.assert(fc.property(fc.string(), header, header, header, (method, origin, host, secFetchSite) => {
      const c = classifyRequest({ method, origin, host, secFetchSite });
      expect(c === undefined || (SITES as readonly string[]).includes(c.site)).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('sentinel.protect on arbitrary requests', () => {
  it('never throws, and answers with a site and decision of the fixed sets, blocking only what needs trust', () => {
    const sentinel = createSentinel({
      origins: ['https://app.example.com', 'https://*.tenant.example.com', /^https:\/\/pr-\d+\.preview\.example\.com$/],
      routes: [{ path: '/public/*', origins: '*' }],
      crossOriginProtection: { mode: 'enforce', trustedOrigins: ['https://partner.example'], bypass: ['/webhooks/*'] },
      logger: false,
    });
    const text = fc.oneof(fc.string(), fc.constantFrom('https://app.example.com', 'https://a.tenant.example.com', 'https://pr-7.preview.example.com', 'null', 'same-site', 'cross-site', '/webhooks/x', '/public/y'));
    const optional = fc.option(text, { nil: undefined });
    try {
      fc.assert(fc.property(fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'), text, optional, optional, optional, (method, path, origin, host, secFetchSite) => {
        const v = sentinel.protect({ method, path, origin, host, secFetchSite });
        if (method === 'GET') return expect(v).toBeUndefined();
        expect(SITES).toContain(v?.site);
        expect(PROTECTION_DECISIONS).toContain(v?.decision);
        const c = classifyRequest({ method, origin, host, secFetchSite });
        if (v?.blocked) expect(c?.needsTrust).toBe(true);
      }), { numRuns: 3000 });
    } finally {
      sentinel.close();
    }
  });
});
