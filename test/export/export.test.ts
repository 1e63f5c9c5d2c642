/**
 * `cors-sentinel export`: what an edge cannot enforce exactly is refused with a named reason per item
 * and nothing is written; snippets come with a README; usage errors are named.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportRefused, exportPolicy, main } from '../../packages/cli/src/export/cli';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { writePolicy } from './edges';
import { POLICY } from './vectors';

function run(policy: CorsSentinelOptions, target = 'nginx', extra: { upstream?: string; listen?: string } = {}): { dir: string; out: string; result: string[] | Error } {
  const dir = mkdtempSync(join(tmpdir(), 'cors-export-unit-'));
  const out = join(dir, 'out');
  try {
    return { dir, out, result: exportPolicy({ policyFile: writePolicy(dir, policy), target, out, ...extra }) };
  } catch (err) {
    return { dir, out, result: err as Error };
  }
}

const REFUSED: ReadonlyArray<readonly [string, CorsSentinelOptions, string]> = [
  ['a RegExp origin', { origins: [/^https:\/\/pr-\d+\.preview\.example\.com$/] }, 'regexp_origin'],
  ['a tenant source with an origin store', { origins: ['https://app.example.com'], tenantFrom: { query: 'tenant' } }, 'tenant_from'],
  ['reflecting any origin', { origin: true, dangerouslyReflectAnyOrigin: true }, 'reflect_any_origin'],
  ['allowedHeaders "*"', { origins: ['https://app.example.com'], allowedHeaders: '*' }, 'echoed_request_headers'],
  ['reflected request headers', { origins: ['https://app.example.com'], dangerouslyReflectRequestHeaders: true }, 'echoed_request_headers'],
  ['Private Network Access', { origins: ['https://app.example.com'], privateNetworkAccess: true }, 'private_network_access'],
  ['preflightContinue', { origins: ['https://app.example.com'], preflightContinue: true }, 'preflight_continue'],
  ['rejectActualRequests', { origins: ['https://app.example.com'], rejectActualRequests: true }, 'reject_actual_requests'],
  ['a report-only candidate', { origins: ['https://app.example.com'], reportOnly: { origins: ['https://app.example.com'] } }, 'report_only'],
  ['localServer', { localServer: { allowedOrigins: ['http://localhost:6274'] } }, 'local_server'],
  ['cross-origin protection', { origins: ['https://app.example.com'], crossOriginProtection: { mode: 'enforce' } }, 'cross_origin_protection'],
];

describe.each(['nginx', 'haproxy', 'caddy'])('%s', (target) => {
  it.each(REFUSED)('refuses %s by name and writes nothing', (_name, policy, code) => {
    const { out, result } = run(policy, target);
    expect(result).toBeInstanceOf(ExportRefused);
    expect((result as ExportRefused).refusals.map((r) => r.code)).toContain(code);
    expect((result as Error).message).toContain(code);
    expect(existsSync(out)).toBe(false);
  });

  it('writes include snippets and a README without --upstream/--listen', () => {
    const { out, result } = run(POLICY, target);
    expect(result).toEqual(expect.arrayContaining(['README.md']));
    expect(readdirSync(out).sort()).toEqual([...(result as string[])].sort());
  });
});

it('names every refusal of a policy, route by route', () => {
  const { result } = run({
    origins: ['https://app.example.com'],
    routes: [{ path: '/a/*', origins: [/^https:\/\/a\.example\.com$/] }, { path: '/b/*', origins: ['https://b.example.com'], allowedHeaders: '*' }],
  });
  expect((result as ExportRefused).refusals.map((r) => `${r.route}:${r.code}`)).toEqual(['/a/*:regexp_origin', '/b/*:echoed_request_headers']);
});

it.each([
  ['an unknown target', { target: 'apache' }, /--target "apache"/],
  ['--upstream without --listen', { upstream: 'http://127.0.0.1:8080' }, /go together/],
  ['an upstream with a path', { upstream: 'http://127.0.0.1:8080/app', listen: '127.0.0.1:1' }, /no path/],
  ['an https upstream', { upstream: 'https://127.0.0.1:8080', listen: '127.0.0.1:1' }, /http:\/\//],
])('refuses %s', (_name, extra, message) => {
  const { target = 'nginx', ...rest } = extra as { target?: string; upstream?: string; listen?: string };
  const { result } = run(POLICY, target, rest);
  expect(result).toBeInstanceOf(TypeError);
  expect((result as Error).message).toMatch(message);
});

it('an invalid policy fails as the middleware fails it', () => {
  const { result } = run({ origins: '*', credentials: true });
  expect((result as Error).name).toBe('CorsConfigError');
});

it('the command exits 3 on a refusal, naming each item, and 0 when it wrote the files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cors-export-main-'));
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await main(['--policy', writePolicy(dir, { origins: [/^https:\/\/a\.example\.com$/] }), '--target', 'haproxy', '--out', join(dir, 'refused')]);
    expect(process.exitCode).toBe(3);
    expect(String(errors.mock.calls[0]?.[0])).toMatch(/default: regexp_origin: /);
    process.exitCode = undefined;
    await main(['--policy', writePolicy(dir, POLICY), '--target', 'haproxy', '--out', join(dir, 'ok')]);
    expect(process.exitCode).toBeUndefined();
    expect(readdirSync(join(dir, 'ok')).sort()).toEqual(['README.md', 'cors-frontend.cfg']);
  } finally {
    process.exitCode = undefined;
    errors.mockRestore();
    logs.mockRestore();
  }
});

it('writes the upstream port out for HAProxy and Caddy when the URL leaves it implicit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cors-export-port-'));
  exportPolicy({ policyFile: writePolicy(dir, POLICY), target: 'haproxy', out: dir, upstream: 'http://app.internal', listen: '127.0.0.1:8080' });
  exportPolicy({ policyFile: writePolicy(dir, POLICY), target: 'caddy', out: dir, upstream: 'http://app.internal', listen: '[::1]:8080' });
  expect(readFileSync(join(dir, 'haproxy.cfg'), 'utf8')).toMatch(/^ {4}server upstream app\.internal:80$/m);
  expect(readFileSync(join(dir, 'haproxy.cfg'), 'utf8')).toMatch(/^ {4}bind 127\.0\.0\.1:8080$/m);
  expect(readFileSync(join(dir, 'Caddyfile'), 'utf8')).toMatch(/^\treverse_proxy app\.internal:80 \{$/m);
  expect(readFileSync(join(dir, 'Caddyfile'), 'utf8')).toMatch(/^http:\/\/\[::1\]:8080 \{$/m);
});
