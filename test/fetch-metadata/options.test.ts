/** `crossOriginProtection` is validated with the CORS policy: every problem in one CorsConfigError. */
import { CorsConfigError, corsSentinel, crossOriginProtection } from '../../packages/cors-sentinel/src';
import { compilePolicy } from '../../packages/cors-sentinel/src/adapter-kit';

function problemsOf(fn: () => unknown): Array<[string, string]> {
  try {
    fn();
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => [p.path, p.code]);
    throw err;
  }
  return [];
}

describe('crossOriginProtection options', () => {
  it('reports every refused or dangerous choice together with the CORS policy\'s own problems', () => {
    const problems = problemsOf(() =>
      compilePolicy({
        origins: ['https://app.example.com', 'ftp//broken'],
        crossOriginProtection: {
          mode: 'block' as never,
          trustedOrigins: ['*', 'null', 'file://', 'http://partner.example', 'https://*.github.io', /^https:\/\/.*$/, /partner/, 'https://ok.example'],
          bypass: ['/*', '/', 'webhooks', '/hooks/:id', '/webhooks/*'],
          status: 200,
          trustCorsOrigins: 'yes' as never,
          colour: 'red',
        } as never,
      }),
    );
    expect(problems).toEqual([
      ['origins[1]', 'invalid_origin'],
      ['crossOriginProtection.colour', 'unknown_option'],
      ['crossOriginProtection.mode', 'invalid_protection_mode'],
      ['crossOriginProtection.trustCorsOrigins', 'invalid_type'],
      ['crossOriginProtection.trustedOrigins[0]', 'trusted_any_origin'],
      ['crossOriginProtection.trustedOrigins[1]', 'trusted_null_origin'],
      ['crossOriginProtection.trustedOrigins[2]', 'trusted_null_origin'],
      ['crossOriginProtection.trustedOrigins[3]', 'trusted_insecure_origin'],
      ['crossOriginProtection.trustedOrigins[4]', 'trusted_public_suffix_wildcard'],
      ['crossOriginProtection.trustedOrigins[5]', 'wildcard_too_broad'],
      ['crossOriginProtection.trustedOrigins[6]', 'unanchored_regexp'],
      ['crossOriginProtection.bypass[0]', 'bypass_all_paths'],
      ['crossOriginProtection.bypass[2]', 'invalid_route_path'],
      ['crossOriginProtection.bypass[3]', 'invalid_route_path'],
      ['crossOriginProtection.status', 'invalid_status'],
    ]);
  });

  it('names the fix in the message', () => {
    let message = '';
    try {
      compilePolicy({ origins: ['https://app.example.com'], crossOriginProtection: { trustedOrigins: ['*'], bypass: ['/*'] } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('remove crossOriginProtection');
    expect(message).toContain("'/webhooks/*'");
  });

  it('accepts loopback http and an explicit dangerous opt-in for plain http', () => {
    expect(problemsOf(() => compilePolicy({ origins: ['https://a.example'], crossOriginProtection: { trustedOrigins: ['http://localhost:5173', 'http://app.localhost'] } }))).toEqual([]);
    expect(problemsOf(() => compilePolicy({ origins: ['https://a.example'], crossOriginProtection: { trustedOrigins: ['http://partner.example'], dangerouslyTrustInsecureOrigins: true } }))).toEqual([]);
  });

  it('defaults to report-only, 403, trusting the CORS origins; warns where CORS origins are not trusted', () => {
    const policy = compilePolicy({ origins: '*', routes: [{ path: '/t/*', origins: ['https://a.example'], resolveOrigin: () => true }], crossOriginProtection: {} });
    expect(policy.crossOriginProtection?.summary).toEqual({ mode: 'report-only', trusted: [], trustCorsOrigins: true, bypass: [], status: 403 });
    expect(policy.warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('route default allows any origin for CORS'),
      expect.stringContaining('route /t/*: origins its resolver or origin store allows are not trusted'),
    ]);
  });

  it('changes the policy hash when the protection changes', () => {
    const base = { origins: ['https://app.example.com'] };
    const hashes = new Set([
      compilePolicy(base).hash,
      compilePolicy({ ...base, crossOriginProtection: { mode: 'report-only' } }).hash,
      compilePolicy({ ...base, crossOriginProtection: { mode: 'enforce' } }).hash,
      compilePolicy({ ...base, crossOriginProtection: { mode: 'enforce', bypass: ['/webhooks/*'] } }).hash,
    ]);
    expect(hashes.size).toBe(4);
    expect(compilePolicy({ ...base, crossOriginProtection: false }).hash).toBe(compilePolicy(base).hash);
  });

  it('validates the standalone middleware the same way', () => {
    expect(problemsOf(() => crossOriginProtection({ trustedOrigins: ['*'], metrics: false, logger: false, routeName: 'api', extra: 1 } as never))).toEqual([
      ['extra', 'unknown_option'],
      ['trustedOrigins[0]', 'trusted_any_origin'],
    ]);
  });
});

describe('crossOriginProtection and the report-only candidate', () => {
  it('is refused inside reportOnly (the live instance judges, the candidate only decides CORS)', () => {
    expect(problemsOf(() => corsSentinel({ origins: ['https://a.example'], logger: false, metrics: false, reportOnly: { origins: ['https://a.example'], crossOriginProtection: { mode: 'enforce' } } as never }))).toEqual([
      ['reportOnly.crossOriginProtection', 'unknown_option'],
    ]);
  });
});
