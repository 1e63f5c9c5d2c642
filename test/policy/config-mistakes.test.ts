/**
 * Issue 34, item 5: configuration mistakes refused at start-up with a message that says what to do,
 * all through the one problem collector (every problem of a configuration reported together).
 */
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError, type ConfigProblem } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';
import { decideSync, preflight, req, testSentinel } from '../support/sentinel';

function problemsOf(options: CorsSentinelOptions): ConfigProblem[] {
  try {
    compilePolicy(options);
  } catch (err) {
    if (err instanceof CorsConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const BASE = { origins: ['https://app.example.com'] };

/** Header lists where a name is misplaced: the option, a valid first entry, what is refused, what stays. */
const MISPLACED = [
  {
    option: 'allowedHeaders', code: 'response_header_in_allowed_headers', why: 'the server sends it, no browser asks to send it',
    names: ['Access-Control-Allow-Origin', 'access-control-allow-credentials', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
      'Access-Control-Allow-Private-Network', 'Access-Control-Max-Age', 'Access-Control-Expose-Headers'],
    fine: ['Authorization', 'X-Access-Control-Allow-Origin', 'Access-Control-Allow-Foo'],
  },
  {
    option: 'exposedHeaders', code: 'request_header_in_exposed_headers', why: 'no script can read it on an actual response',
    names: ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Access-Control-Request-Private-Network',
      'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Max-Age', 'Access-Control-Allow-Private-Network'],
    fine: ['X-Request-Id', 'Content-Disposition', 'Access-Control-Allow-Origin'],
  },
] as const;

describe.each(MISPLACED)('misplaced names in $option', ({ option, code, why, names, fine }) => {
  test.each(names)(`%s is refused: ${why}`, (name) => {
    const problems = problemsOf({ ...BASE, [option]: [fine[0], name] });
    expect(problems.map((p) => [p.path, p.code])).toEqual([[`${option}[1]`, code]]);
    expect(problems[0]?.message).toContain(`remove it from ${option}`);
  });

  test(`${fine.join(', ')} stay allowed`, () => {
    expect(problemsOf({ ...BASE, [option]: [...fine] })).toEqual([]);
  });
});

test("methods: ['*'] says there is no method wildcard and to list the methods", () => {
  const problems = problemsOf({ ...BASE, methods: ['*'] });
  expect(problems.map((p) => [p.path, p.code])).toEqual([['methods[0]', 'invalid_method']]);
  expect(problems[0]?.message).toMatch(/there is no method wildcard: list the methods/);
});

describe('Private Network Access with plain-http origins', () => {
  test.each([
    [['http://intranet.example.com'], 'http://intranet.example.com'],
    [['https://app.example.com', 'http://*.corp.example.com'], 'http://*.corp.example.com'],
    [['http://192.168.1.10:8080'], 'http://192.168.1.10:8080'],
  ])('%j is refused with privateNetworkAccess', (origins, shown) => {
    const problems = problemsOf({ origins, privateNetworkAccess: true });
    expect(problems.map((p) => [p.path, p.code])).toEqual([['privateNetworkAccess', 'private_network_with_insecure_origin']]);
    expect(problems[0]?.message).toContain(shown);
    expect(problems[0]?.message).toContain('use https');
  });

  test('secure and loopback origins may use it; the same http origin without PNA is fine', () => {
    expect(problemsOf({ origins: ['https://app.example.com', 'http://localhost:5173', 'http://[::1]:3000', 'http://localhost.'], privateNetworkAccess: true })).toEqual([]);
    expect(problemsOf({ origins: ['http://intranet.example.com'] })).toEqual([]);
  });

  test('on a route, the path names the route', () => {
    const problems = problemsOf({ ...BASE, routes: [{ path: '/device/*', origins: ['http://intranet.example.com'], privateNetworkAccess: true }] });
    expect(problems.map((p) => [p.path, p.code])).toEqual([['routes[0].privateNetworkAccess', 'private_network_with_insecure_origin']]);
  });
});

test('every mistake of one configuration is reported together', () => {
  const problems = problemsOf({
    origins: ['http://intranet.example.com', 'http://[::1]1:80'],
    methods: ['GET', '*'],
    allowedHeaders: ['Access-Control-Allow-Origin'],
    exposedHeaders: ['Origin'],
    privateNetworkAccess: true,
  });
  expect(problems.map((p) => p.code).sort()).toEqual([
    'invalid_method', 'invalid_origin', 'private_network_with_insecure_origin', 'request_header_in_exposed_headers', 'response_header_in_allowed_headers',
  ]);
});

test('a RegExp or resolver that admits a plain-http origin: its Private Network Access preflight is refused at run time', () => {
  const s = testSentinel({ origins: [/^https?:\/\/[a-z]+\.corp\.example\.com$/], privateNetworkAccess: true });
  const ask = (origin: string): Decision => decideSync(s, req({ method: 'OPTIONS', origin, accessControlRequestMethod: 'GET', accessControlRequestPrivateNetwork: 'true' }));
  expect(ask('https://nas.corp.example.com').outcome).toBe('allowed');
  expect([ask('http://nas.corp.example.com').outcome, ask('http://nas.corp.example.com').reason]).toEqual(['rejected', 'private_network_not_allowed']);
  // Without the PNA request the same origin's preflight is granted: only the private network is withheld.
  expect(decideSync(s, preflight('http://nas.corp.example.com', 'GET')).outcome).toBe('allowed');
});
