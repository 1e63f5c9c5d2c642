/** `cors-sentinel check` and `cors-sentinel explain` on policy files, through the built CLI. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../support/processes';

const POLICY = join(ROOT, 'examples/policy-file/cors.yaml');

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cors-sentinel check', () => {
  it('prints the compiled summary of a valid file: routes, origin kinds, credentials, warnings', () => {
    const r = run('check', POLICY);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/valid \(policy hash [0-9a-f]+\)/);
    expect(r.stdout).toContain('account  /api/account/*');
    expect(r.stdout).toContain("origin policy: any — any ('*')");
    expect(r.stdout).toContain('origin policy: list — 1 exact, 1 wildcard, 1 RegExp');
    expect(r.stdout).toMatch(/public {2}\/public\/\*\n.*\n.*\n {4}credentials: false/);
    expect(r.stdout).toContain('warnings: none');
  });

  it('exits 1 and lists every problem of a bad file (for CI)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-check-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, "origins: '*'\ncredentials: true\nmethods: [TRACE]\n");
    const r = run('check', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}: 2 problem(s)`);
    expect(r.stderr).toContain('[credentials_with_any_origin]');
    expect(r.stderr).toContain('[forbidden_method]');
    expect(run('check', join(dir, 'missing.yaml')).status).toBe(1);
    expect(run('check').status).toBe(2);
  });
});

describe('cors-sentinel explain', () => {
  it('explains a rejected preflight on the account route', () => {
    const r = run('explain', '--policy', POLICY, '--origin', 'https://pr-7.review.example.com', '--method', 'PUT', '--path', '/api/account/me', '--preflight');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Preflight (PUT) from https://pr-7.review.example.com on route "account"');
    expect(r.stdout).toContain('is rejected (origin_not_allowed)');
    expect(r.stdout).toContain('status: 403 (answered by cors-sentinel)');
  });

  it('prints the decision as JSON for tools', () => {
    const r = run('explain', '--policy', POLICY, '--origin', 'https://pr-7.review.example.com', '--method', 'PUT', '--path', '/api/items', '--preflight', '--header', 'Authorization', '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.decision).toMatchObject({ route: 'default', requestType: 'preflight', outcome: 'allowed', originSource: 'regexp' });
    expect(out.decision.headers).toContainEqual(['Access-Control-Allow-Origin', 'https://pr-7.review.example.com']);
    expect(out.why).toContain('is allowed');
  });
});

describe('cors-sentinel explain on a localServer policy', () => {
  it('judges the Host against the port it names (or --local-port)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-local-'));
    const file = join(dir, 'local.yaml');
    writeFileSync(file, 'localServer:\n  allowedOrigins: ["http://localhost:6274"]\n');
    const ok = run('explain', '--policy', file, '--origin', 'http://localhost:6274', '--method', 'POST', '--path', '/mcp', '--host', 'localhost:3000');
    expect([ok.status, ok.stdout]).toEqual([0, expect.stringContaining('outcome: allowed')]);
    const rebinding = run('explain', '--policy', file, '--origin', 'http://evil.example:3000', '--method', 'POST', '--path', '/mcp', '--host', 'evil.example:3000');
    expect(rebinding.stdout).toContain('reason: host_not_allowed');
    const otherPort = run('explain', '--policy', file, '--origin', 'http://localhost:6274', '--path', '/mcp', '--host', 'localhost:3000', '--local-port', '4000');
    expect(otherPort.stdout).toContain('reason: host_not_allowed');
  });
});
