import { decideSync, header, preflight, req, testSentinel } from '../support/sentinel';

describe('decide: request types', () => {
  const s = testSentinel({ origins: ['https://app.example.com'], maxAge: 600, exposedHeaders: ['x-request-id'], credentials: true });

  it('answers an allowed actual request with ACAO, ACAC and ACEH', () => {
    const d = decideSync(s, req({ origin: 'https://app.example.com' }));
    expect(d).toMatchObject({ requestType: 'actual', outcome: 'allowed', origin: 'https://app.example.com', originSource: 'exact', passThrough: true });
    expect(d.headers).toEqual([
      ['Access-Control-Allow-Origin', 'https://app.example.com'],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Access-Control-Expose-Headers', 'x-request-id'],
    ]);
    expect(d.vary).toEqual(['Origin']);
  });

  it('answers an allowed preflight with methods, headers and max-age', () => {
    const d = decideSync(s, preflight('https://app.example.com', 'PATCH', 'content-type'));
    expect(d).toMatchObject({ requestType: 'preflight', outcome: 'allowed', status: 204, passThrough: false });
    expect(d.headers).toEqual([
      ['Access-Control-Allow-Origin', 'https://app.example.com'],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Access-Control-Allow-Methods', 'GET, HEAD, PUT, PATCH, POST, DELETE'],
      ['Access-Control-Max-Age', '600'],
      ['Access-Control-Allow-Headers', 'content-type'],
    ]);
  });

  it('rejects a preflight for an unlisted method, but never for a safelisted one (browsers accept those anyway)', () => {
    const s2 = testSentinel({ origins: ['https://app.example.com'], methods: 'GET,put,purge' });
    expect(decideSync(s2, preflight('https://app.example.com', 'DELETE')).reason).toBe('method_not_allowed');
    expect(decideSync(s2, preflight('https://app.example.com', 'POST')).outcome).toBe('allowed');
    // Fetch upper-cases PUT but sends other methods as written.
    expect(decideSync(s2, preflight('https://app.example.com', 'PUT')).outcome).toBe('allowed');
    expect(decideSync(s2, preflight('https://app.example.com', 'purge')).outcome).toBe('allowed');
    expect(decideSync(s2, preflight('https://app.example.com', 'PURGE')).reason).toBe('method_not_allowed');
  });

  it('treats requests without Origin, and same-origin requests, as non-CORS', () => {
    expect(decideSync(s, req({})).requestType).toBe('non_cors');
    expect(decideSync(s, req({ origin: 'https://api.example.com', host: 'api.example.com', method: 'POST' })).requestType).toBe('non_cors');
    expect(decideSync(s, req({ origin: 'https://api.example.com', host: 'api.example.com:443', method: 'POST' })).requestType).toBe('non_cors');
    expect(decideSync(s, req({ origin: 'http://localhost:3000', host: 'localhost:3000' })).requestType).toBe('non_cors');
    // A different port is a different origin.
    expect(decideSync(s, req({ origin: 'http://localhost:3001', host: 'localhost:3000' })).outcome).toBe('rejected');
  });

  it('predicts the browser refusing a cookie-carrying request to a non-credentialed policy', () => {
    const open = testSentinel({ origins: ['https://app.example.com'] });
    const d = decideSync(open, req({ origin: 'https://app.example.com', hasCookie: true }));
    expect(d).toMatchObject({ outcome: 'rejected', reason: 'credentials_not_allowed' });
    // The headers stay as for any request from that origin, so that shared caches see one answer.
    expect(header(d, 'access-control-allow-origin')).toBe('https://app.example.com');
    const star = testSentinel({ origins: '*' });
    expect(decideSync(star, req({ origin: 'https://x.example', hasCookie: true })).reason).toBe('credentials_not_allowed');
  });

  it('answers "*" policies identically for every request', () => {
    const star = testSentinel({ origins: '*', exposedHeaders: ['x-total'] });
    const expected = [['Access-Control-Allow-Origin', '*'], ['Access-Control-Expose-Headers', 'x-total']];
    expect(decideSync(star, req({ origin: 'https://x.example' })).headers).toEqual(expected);
    expect(decideSync(star, req({})).headers).toEqual(expected);
    const invalid = decideSync(star, req({ origin: 'not an origin' }));
    expect(invalid.headers).toEqual(expected);
    expect(invalid.origin).toBe('__invalid__');
  });
});

describe('decide: routes', () => {
  const s = testSentinel({
    origins: ['https://app.example.com'],
    credentials: true,
    routes: [
      { path: '/public/*', name: 'public', origins: '*', credentials: false },
      { path: '/api/orders*', name: 'orders', origins: ['https://shop.example.com'] },
      { path: '/api/*', name: 'api' },
      { path: '/api/health', name: 'health', origin: false },
    ],
  });
  it.each([
    ['/public/status', 'public'],
    ['/PUBLIC/status', 'public'],
    ['/public', 'public'],
    ['/publicity', 'default'],
    ['/api/orders', 'orders'],
    ['/api/orders/42', 'orders'],
    ['/api/ordersX', 'orders'],
    ['/api/products', 'api'],
    ['/api/health', 'health'],
    ['/api/health/', 'health'],
    ['/api/health/deep', 'api'],
    ['/other', 'default'],
  ])('%s uses route %s', (path, route) => {
    expect(decideSync(s, req({ path, origin: 'https://app.example.com' })).route).toBe(route);
  });

  it('routes inherit unset options and replace the origin setting as a whole', () => {
    expect(decideSync(s, req({ path: '/api/x', origin: 'https://app.example.com' })).headers).toContainEqual(['Access-Control-Allow-Credentials', 'true']);
    expect(decideSync(s, req({ path: '/api/orders/1', origin: 'https://app.example.com' })).outcome).toBe('rejected');
    expect(decideSync(s, req({ path: '/api/orders/1', origin: 'https://shop.example.com' })).outcome).toBe('allowed');
  });

  it('leaves requests alone on a route with CORS disabled', () => {
    const d = decideSync(s, req({ path: '/api/health', origin: 'https://evil.example.com' }));
    expect(d).toMatchObject({ requestType: 'non_cors', headers: [], vary: [] });
  });

  it('with routes but no top-level origins, applies CORS only on the routes', () => {
    const only = testSentinel({ routes: [{ path: '/api/*', origins: ['https://app.example.com'] }] });
    expect(decideSync(only, req({ path: '/api/x', origin: 'https://app.example.com' })).outcome).toBe('allowed');
    expect(decideSync(only, req({ path: '/x', origin: 'https://app.example.com' })).requestType).toBe('non_cors');
  });
});

describe('cors-package option forms', () => {
  it('accepts a comma-separated methods string and an (origin, callback) function', async () => {
    const s = testSentinel({
      origin: (origin, cb) => cb(null, origin === 'https://tenant.example.org' ? true : [/^https:\/\/b\.example\.org$/]),
      methods: 'GET,PUT',
    });
    expect((await s.decide(req({ origin: 'https://tenant.example.org' }))).outcome).toBe('allowed');
    expect((await s.decide(req({ origin: 'https://b.example.org' }))).outcome).toBe('allowed');
    expect((await s.decide(req({ origin: 'https://c.example.org' }))).outcome).toBe('rejected');
    expect((await s.decide(preflight('https://tenant.example.org', 'DELETE'))).reason).toBe('method_not_allowed');
  });
});

describe('explain', () => {
  const s = testSentinel({ origins: ['https://app.example.com', 'https://*.tenant.example.com'], routes: [{ path: '/api/*', name: 'api', methods: ['GET'] }] });
  it.each([
    [req({ origin: 'https://a.tenant.example.com', path: '/api/x' }), 'GET request from https://a.tenant.example.com on route "api" (/api/*) is allowed: it matches https://*.tenant.example.com.'],
    [preflight('https://app.example.com', 'PUT', undefined, '/api/x'), 'Preflight (PUT) from https://app.example.com on route "api" (/api/*) is rejected (method_not_allowed): PUT is not among the allowed methods (GET).'],
    [req({ origin: 'https://evil.example.com' }), 'GET request from https://evil.example.com on route "default" is rejected (origin_not_allowed): the origin is not among the 1 exact origin(s), 1 wildcard pattern(s), 0 RegExp(s).'],
    [req({}), 'No Origin header: not a cross-origin request; route "default" adds only Vary: Origin.'],
  ])('explains %#', async (r, why) => {
    expect((await s.explain(r)).why).toBe(why);
  });
});
