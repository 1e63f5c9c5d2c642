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

describe('cross-origin protection in check and explain (issue #30)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cors-protect-'));
  const file = join(dir, 'protected.yaml');
  writeFileSync(file, [
    'origins: [https://app.example.com]',
    'credentials: true',
    'allowedHeaders: [content-type]',
    'crossOriginProtection: { mode: enforce, trustedOrigins: [https://checkout.partner.example], bypass: [/webhooks/*] }',
    'routes:',
    '  - { path: /public/*, name: public, origins: "*", credentials: false }',
  ].join('\n'));
  const explainPost = (...extra: string[]) => run('explain', '--policy', file, '--method', 'POST', '--path', '/api/orders', ...extra);

  it('check prints each route\'s protection mode, whom it trusts and what it bypasses', () => {
    const r = run('check', file);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.includes('cross-origin protection:'));
    expect(lines).toHaveLength(2); // the public route and the default route
    for (const line of lines) expect(line).toBe("    cross-origin protection: enforce (unsafe methods; blocked status 403)   trusted: the route's CORS origins, https://checkout.partner.example   bypass: /webhooks/*");
    expect(run('check', join(ROOT, 'examples/policy-file/cors.yaml')).stdout).toMatch(/cross-origin protection: off/);
  });

  it('a cross-site POST (--sec-fetch-site) is blocked with 403 before CORS and the handler', () => {
    const r = explainPost('--origin', 'https://evil.example', '--sec-fetch-site', 'cross-site');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Cross-origin protection \(enforce\): Sec-Fetch-Site: "cross-site" makes the POST cross-site; blocked: answered 403 before CORS and the handler run/);
    expect(r.stdout).toContain('cross-origin protection: enforce   site: cross-site (by sec-fetch-site)   decision: blocked');
    expect(r.stdout).toContain('status: 403 (answered by cross-origin protection, empty body, no CORS headers)');
    const json = JSON.parse(explainPost('--origin', 'https://evil.example', '--sec-fetch-site', 'cross-site', '--json').stdout) as { protection: { decision: string; status: number } };
    expect(json.protection).toMatchObject({ decision: 'blocked', status: 403 });
  });

  it('without Sec-Fetch-Site it compares Origin with Host; trusted origins, bypassed paths and GET pass', () => {
    const foreign = explainPost('--origin', 'https://evil.example', '--host', 'api.example.com');
    expect(foreign.stdout).toMatch(/no Sec-Fetch-Site, so Origin "https:\/\/evil.example" was compared with Host "api.example.com": cross-site; blocked/);
    const own = explainPost('--origin', 'https://api.example.com', '--host', 'api.example.com');
    expect(own.stdout).toContain('decision: allowed');
    expect(explainPost('--origin', 'https://checkout.partner.example', '--sec-fetch-site', 'cross-site').stdout).toContain('allowed, the origin is trusted');
    expect(explainPost('--origin', 'https://app.example.com', '--sec-fetch-site', 'same-site').stdout).toContain('allowed, the origin is trusted'); // a CORS origin
    const hook = run('explain', '--policy', file, '--method', 'POST', '--path', '/webhooks/stripe', '--origin', 'https://evil.example', '--sec-fetch-site', 'cross-site');
    expect(hook.stdout).toContain('allowed, the path is bypassed');
    const get = run('explain', '--policy', file, '--method', 'GET', '--path', '/api/orders', '--origin', 'https://evil.example', '--sec-fetch-site', 'cross-site');
    expect(get.stdout).not.toContain('protection');
  });

  it('the text output of a rejected preflight names the rejected header or method', () => {
    const header = run('explain', '--policy', file, '--origin', 'https://app.example.com', '--method', 'PUT', '--path', '/api/orders', '--preflight', '--header', 'content-type', '--header', 'x-secret-debug');
    expect(header.stdout).toContain('is rejected (header_not_allowed): the requested header "x-secret-debug" is not allowed');
    expect(header.stdout).toContain('rejected header: "x-secret-debug"');
    const method = run('explain', '--policy', file, '--origin', 'https://app.example.com', '--method', 'PURGE', '--path', '/api/orders', '--preflight');
    expect(method.stdout).toContain('rejected method: "PURGE"');
  });
});
