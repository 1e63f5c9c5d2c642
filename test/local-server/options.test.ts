/** The `localServer` preset's validation (every problem in one CorsConfigError), its expansion, and the Host matcher. */
import { CorsConfigError, type CorsSentinelOptions } from '../../packages/cors-sentinel/src';
import { compilePolicy } from '../../packages/cors-sentinel/src/adapter-kit';
import { explainSync } from '../../packages/cors-sentinel/src/engine/explain';
import { compileHostAllowlist } from '../../packages/cors-sentinel/src/engine/host-allowlist';
import { parsePolicyText } from '../../packages/cors-sentinel/src/policy/file';
import { validatePolicy } from '../../packages/cors-sentinel/src/policy/validate';

function problemsOf(options: unknown): string[] {
  try {
    validatePolicy(options as CorsSentinelOptions);
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => `${p.path} ${p.code}`);
    throw err;
  }
  return [];
}

describe('localServer options', () => {
  it('reports every problem together, at the paths the user wrote', () => {
    expect(problemsOf({
      origins: ['https://app.example.com'],
      rejectActualRequests: false,
      crossOriginProtection: { mode: 'report-only' },
      localServer: {
        allowedOrigins: ['*', 'http://localhost:6274/path', /localhost/],
        allowedHosts: ['*.localhost', 'http://localhost', 'localhost:99999', 'localhost.', 7, 'ok.localhost:8080'],
        dangerouslyAllowNullOrigin: 'yes',
        allowedHost: [],
      },
    }).sort()).toEqual([
      'crossOriginProtection local_server_conflict',
      'localServer.allowedHost unknown_option',
      'localServer.allowedHosts[0] invalid_host',
      'localServer.allowedHosts[1] invalid_host',
      'localServer.allowedHosts[2] invalid_host',
      'localServer.allowedHosts[3] invalid_host',
      'localServer.allowedHosts[4] invalid_host',
      'localServer.allowedOrigins[0] local_server_weakened',
      'localServer.allowedOrigins[1] origin_has_path',
      'localServer.allowedOrigins[2] unanchored_regexp',
      'localServer.dangerouslyAllowNullOrigin invalid_type',
      'origins local_server_conflict',
      'rejectActualRequests local_server_conflict',
    ].sort());
  });

  it('refuses routes that take the guarantees back', () => {
    expect(problemsOf({
      localServer: { allowedOrigins: ['http://localhost:6274'] },
      routes: [
        { path: '/public/*', origins: '*' },
        { path: '/off', origin: false },
        { path: '/loose', rejectActualRequests: false },
        { path: '/any', origin: true, dangerouslyReflectAnyOrigin: true },
      ],
    })).toEqual(expect.arrayContaining([
      'routes[0].origins local_server_weakened',
      'routes[1].origins local_server_weakened',
      'routes[2].rejectActualRequests local_server_weakened',
      'routes[3].origins local_server_weakened',
    ]));
  });

  it('needs allowedOrigins, and accepts an empty list (no page may call the server)', () => {
    expect(problemsOf({ localServer: {} })).toEqual(['localServer.allowedOrigins invalid_type']);
    expect(problemsOf({ localServer: 'yes' })).toEqual(['localServer invalid_type']);
    expect(problemsOf({ localServer: { allowedOrigins: [] } })).toEqual([]);
  });

  it('lists null or file:// only with dangerouslyAllowNullOrigin, and the flag alone allows no null origin', () => {
    expect(problemsOf({ localServer: { allowedOrigins: ['http://localhost:6274', 'null', 'file://'] } })).toEqual([
      'localServer.allowedOrigins[1] null_origin_not_enabled', 'localServer.allowedOrigins[2] null_origin_not_enabled',
    ]);
    expect(problemsOf({ localServer: { allowedOrigins: ['null', 'file://'], dangerouslyAllowNullOrigin: true } })).toEqual([]);
    expect(compilePolicy({ localServer: { allowedOrigins: [], dangerouslyAllowNullOrigin: true } }).defaultRoute.origins.allowNull).toBe(false);
    expect(compilePolicy({ localServer: { allowedOrigins: ['null'], dangerouslyAllowNullOrigin: true } }).defaultRoute.origins.allowNull).toBe(true);
  });

  it('expands into existing options and a Host allowlist', () => {
    const policy = compilePolicy({ localServer: { allowedOrigins: ['http://localhost:6274'], allowedHosts: ['MCP.localhost', 'box.lan:8443'] } });
    const route = policy.defaultRoute;
    expect([route.rejectActualRequests, route.privateNetworkAccess, route.origins.allowNull, [...route.origins.exact]]).toEqual([true, true, false, ['http://localhost:6274']]);
    expect(policy.crossOriginProtection?.mode).toBe('enforce');
    expect(policy.hosts?.summary).toEqual({ names: ['localhost', '127.0.0.1', '[::1]', 'mcp.localhost'], hostPorts: ['box.lan:8443'] });
    // The user's own cross-origin protection settings are kept, in enforce mode.
    const withBypass = compilePolicy({ localServer: { allowedOrigins: [] }, crossOriginProtection: { bypass: ['/hooks/*'] } });
    expect([withBypass.crossOriginProtection?.mode, withBypass.crossOriginProtection?.summary.bypass]).toEqual(['enforce', ['/hooks/*']]);
  });

  it('loads from a policy file', () => {
    const options = parsePolicyText('localServer:\n  allowedOrigins: ["http://localhost:6274"]\n  allowedHosts: ["mcp.localhost"]\n', 'local.yaml');
    expect(compilePolicy({ ...options, logger: false }).hosts?.summary.names).toContain('mcp.localhost');
  });

  it('explains a host refusal', () => {
    const policy = compilePolicy({ localServer: { allowedOrigins: [] } });
    const { decision, why } = explainSync(policy, { method: 'POST', path: '/mcp', origin: undefined, host: 'evil.example:3000', localPort: 3000 });
    expect([decision.reason, decision.status, decision.passThrough, decision.requestType]).toEqual(['host_not_allowed', 403, false, 'actual']);
    expect(why).toContain('DNS-rebinding');
  });

  it('reads the port from the connection when the request carries one instead of localPort', () => {
    const policy = compilePolicy({ localServer: { allowedOrigins: [] } });
    const onConnection = (localPort: number) => explainSync(policy, { method: 'GET', path: '/mcp', origin: undefined, host: 'localhost:3000', connection: { localPort } });
    expect(onConnection(3000).decision.reason).toBeUndefined();
    const refused = onConnection(3001);
    expect(refused.decision.reason).toBe('host_not_allowed');
    expect(refused.why).toContain('with port 3001');
    // An explicit localPort wins over the connection's (a caller that knows the port better).
    expect(explainSync(policy, { method: 'GET', path: '/mcp', origin: undefined, host: 'localhost:3000', localPort: 3000, connection: { localPort: 3001 } }).decision.reason).toBeUndefined();
  });

  it('reads the connection off the request handle only when the port or the scheme is needed', () => {
    const reads: string[] = [];
    const handle = { name: 'h' };
    const connectionOf = (raw: unknown) => {
      reads.push((raw as { name: string }).name);
      return { localPort: 3000, encrypted: true };
    };
    const local = compilePolicy({ localServer: { allowedOrigins: [] } });
    expect(explainSync(local, { method: 'GET', path: '/mcp', origin: undefined, host: 'localhost:3000', connectionOf, raw: handle }).decision.reason).toBeUndefined();
    expect(reads).toEqual(['h']); // the allowlist needed the port
    const api = compilePolicy({ origins: ['https://app.example.com'] });
    reads.length = 0;
    explainSync(api, { method: 'GET', path: '/a', origin: 'https://app.example.com', host: 'api.example.com', connectionOf, raw: handle });
    expect(reads).toEqual([]); // a cross-origin request never needs the connection
    // An http page on the API's own host, over TLS: the scheme (read now) tells it is a cross-origin caller.
    const sameHost = explainSync(api, { method: 'GET', path: '/a', origin: 'http://api.example.com', host: 'api.example.com', connectionOf, raw: handle });
    expect(reads).toEqual(['h']);
    expect([sameHost.decision.requestType, sameHost.decision.outcome]).toEqual(['actual', 'rejected']);
  });
});

describe('the Host allowlist', () => {
  const hosts = compileHostAllowlist({ names: ['localhost', '127.0.0.1', '[::1]'], hostPorts: ['box.lan:8443'] });

  it('allows listed names with the listening port only, bare names on 80 and 443', () => {
    expect(hosts.allows('localhost:3000', undefined, 3000)).toBe(true);
    expect(hosts.allows('LOCALHOST:3000', undefined, 3000)).toBe(true);
    expect(hosts.allows('localhost:3001', undefined, 3000)).toBe(false);
    expect(hosts.allows('localhost', undefined, 3000)).toBe(false);
    expect(hosts.allows('localhost', undefined, 80)).toBe(true);
    expect(hosts.allows('127.0.0.1', undefined, 443)).toBe(true);
    expect(hosts.allows('box.lan:8443', undefined, 3000)).toBe(true);
    expect(hosts.allows('box.lan:3000', undefined, 3000)).toBe(false);
  });

  it('fails closed without a Host, without a local port, and on a disagreeing :authority', () => {
    expect(hosts.allows(undefined, undefined, 3000)).toBe(false);
    expect(hosts.allows('localhost:3000', undefined, undefined)).toBe(false);
    expect(hosts.allows('box.lan:8443', undefined, undefined)).toBe(true);
    expect(hosts.allows('localhost:3000', 'evil.example:3000', 3000)).toBe(false);
    expect(hosts.allows(undefined, '[::1]:3000', 3000)).toBe(true);
  });

  it('keeps answering on many ports (the per-port cache is bounded, not a condition of correctness)', () => {
    for (let port = 1000; port < 1100; port++) {
      expect([port, hosts.allows(`127.0.0.1:${port}`, undefined, port), hosts.allows(`127.0.0.1:${port + 1}`, undefined, port)]).toEqual([port, true, false]);
    }
  });
});
