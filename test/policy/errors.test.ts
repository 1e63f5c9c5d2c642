import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';

describe('configuration errors', () => {
  it('lists every problem at once, each with its path, in one readable message', () => {
    const options = {
      origins: ['https://app.example.com/login', '*'],
      credentials: true,
      methods: ['GET', 'TRACE'],
      allowedHeaders: ['cookie'],
      maxAge: -5,
      allowHeaders: ['x-typo'],
      routes: [{ path: 'api/*', origins: [/example\.com/] }, { path: '/orders', origins: ['null'] }],
    } as unknown as CorsSentinelOptions;
    let error: unknown;
    try {
      corsSentinel(options);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorsConfigError);
    expect((error as CorsConfigError).message).toBe(
      [
        'cors-sentinel: invalid configuration (8 problems):',
        '  - allowHeaders: unknown option "allowHeaders"; did you mean "allowedHeaders"? [unknown_option]',
        '  - origins[0]: "https://app.example.com/login" has a path, query, fragment or credentials; an origin is scheme://host[:port] only [origin_has_path]',
        "  - origins: credentials cannot be combined with \"*\": any site could read responses with the user's cookies [credentials_with_any_origin]",
        '  - methods[1]: TRACE is forbidden by the Fetch standard; browsers never send it [forbidden_method]',
        '  - allowedHeaders[0]: cookie is a forbidden header name: browsers never let scripts set it [forbidden_header_name]',
        '  - maxAge: expected a whole number of seconds ≥ 0, got -5 [invalid_max_age]',
        '  - routes[0].path: expected a path starting with "/", got "api/*" [invalid_route_path]',
        '  - routes[1].origins: "null" is sent by sandboxed iframes, local files and redirects that any site can trigger; set dangerouslyAllowNullOrigin to allow it [null_origin_not_enabled]',
      ].join('\n'),
    );
    expect((error as CorsConfigError).problems.map((p) => p.path)).toContain('routes[1].origins');
  });

  it('requires origins, and says how to get any', () => {
    expect(() => compilePolicy({})).toThrow(/no origins are allowed: list them in "origins", use "\*" for a public resource/);
  });

  it.each<[string, unknown]>([
    ['credentials', 'yes'],
    ['methods', 42],
    ['optionsSuccessStatus', 404],
    ['rejectedPreflightStatus', 200],
    ['resolverTimeoutMs', 0],
    ['resolveOrigin', 'db'],
    ['origins', [42]],
    ['routes', {}],
  ])('refuses a bad %s', (key, value) => {
    expect(() => compilePolicy({ origins: ['https://a.example.com'], [key]: value } as CorsSentinelOptions)).toThrow(CorsConfigError);
  });

  it('rejects duplicate route patterns', () => {
    expect(() => compilePolicy({ origins: ['https://a.example.com'], routes: [{ path: '/API/*' }, { path: '/api/*' }] })).toThrow(/duplicate_route/);
  });

  it('compiles into a frozen policy with a stable hash that changes with the policy', () => {
    const a = compilePolicy({ origins: ['https://a.example.com'] });
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.defaultRoute)).toBe(true);
    expect(compilePolicy({ origins: ['https://A.example.com:443'] }).hash).toBe(a.hash);
    expect(compilePolicy({ origins: ['https://b.example.com'] }).hash).not.toBe(a.hash);
  });
});
