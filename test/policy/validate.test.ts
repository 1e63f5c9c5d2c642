/**
 * validatePolicy: the whole options object into plain, frozen settings, with no runtime form (no
 * resolver cache, no precomputed answers), so that a policy file can be checked without building it.
 * compilePolicy is exactly buildPolicy(validatePolicy(options)).
 */
import { buildPolicy, compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { ResolverCache } from '../../packages/cors-sentinel/src/engine/resolver-cache';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { validatePolicy } from '../../packages/cors-sentinel/src/policy/validate';

const OPTIONS: CorsSentinelOptions = {
  origins: ['https://app.example.com'],
  maxAge: 9000,
  routes: [
    { path: '/api/*', resolveOrigin: async () => true },
    { path: '/api/account/*', origins: ['https://account.example.com'], credentials: true },
  ],
  crossOriginProtection: { mode: 'enforce', bypass: ['/webhooks/*'] },
};

describe('validatePolicy', () => {
  it('returns frozen settings, routes most specific first, warnings and the protection settings', () => {
    const settings = validatePolicy(OPTIONS);
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.defaultRoute)).toBe(true);
    expect(settings.routes.every((r) => Object.isFrozen(r))).toBe(true);
    expect(settings.routes.map((r) => r.pattern?.source)).toEqual(['/api/account/*', '/api/*']);
    expect(settings.defaultRoute.maxAge).toBe(9000);
    expect(settings.warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['maxAge', 'crossOriginProtection']));
    expect(settings.crossOriginProtection?.mode).toBe('enforce');
  });

  it('builds nothing: a resolver stays a function, with no cache or precomputed answers', () => {
    const route = validatePolicy(OPTIONS).routes[1];
    expect(typeof route?.setting.resolver).toBe('function');
    expect(Object.values(route ?? {}).some((v) => v instanceof ResolverCache)).toBe(false);
    expect(route).not.toHaveProperty('exactGrants');
    expect(route).not.toHaveProperty('nonCors');
  });

  it('throws the same CorsConfigError as compilePolicy', () => {
    const bad = { origins: ['*'], credentials: true, routes: [{ path: 'no-slash' }], crossOriginProtection: { trustedOrigins: ['*'] } } as CorsSentinelOptions;
    const problemsOf = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CorsConfigError);
        return (err as CorsConfigError).problems;
      }
      throw new Error('expected a CorsConfigError');
    };
    const problems = problemsOf(() => validatePolicy(bad));
    expect(problems).toEqual(problemsOf(() => compilePolicy(bad)));
    expect(problems).toHaveLength(3);
  });

  it('compilePolicy is buildPolicy over the settings: same routes, warnings and hash', () => {
    const direct = compilePolicy(OPTIONS);
    const built = buildPolicy(validatePolicy(OPTIONS));
    expect(built.hash).toBe(direct.hash);
    expect(built.routes.map((r) => r.name)).toEqual(direct.routes.map((r) => r.name));
    expect(built.warnings).toEqual(direct.warnings);
    expect(Object.isFrozen(built)).toBe(true);
  });
});
