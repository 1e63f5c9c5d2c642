/**
 * The include snippets (no --upstream/--listen) are valid where their README puts them: nginx -t,
 * haproxy -c and caddy validate on a host config that includes them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPolicy } from '../../packages/cli/src/export/cli';
import { writePolicy } from './edges';
import { POLICY } from './vectors';

jest.setTimeout(60_000);

function snippets(target: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cors-export-snippet-${target}-`));
  exportPolicy({ policyFile: writePolicy(dir, POLICY), target, out: dir });
  return dir;
}

it('nginx: the http and location snippets pass nginx -t', () => {
  const dir = snippets('nginx');
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(dir, 'host.conf'), `pid nginx.pid; error_log error.log; events {}
http { client_body_temp_path tmp; proxy_temp_path tmp; fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;
  include ${join(dir, 'cors-http.conf')};
  server { listen 127.0.0.1:1; location /api/ { include ${join(dir, 'cors-location.conf')}; proxy_pass http://127.0.0.1:2; } } }
`);
  expect(() => execFileSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'host.conf'), '-e', join(dir, 'error.log')], { stdio: 'pipe' })).not.toThrow();
});

it('haproxy: the frontend rules pass haproxy -c', () => {
  const dir = snippets('haproxy');
  const rules = readFileSync(join(dir, 'cors-frontend.cfg'), 'utf8').split('\n').map((l) => `    ${l}`).join('\n');
  writeFileSync(join(dir, 'host.cfg'), `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend api\n    bind 127.0.0.1:1\n${rules}\n    default_backend app\nbackend app\n    server app 127.0.0.1:2\n`);
  expect(() => execFileSync('haproxy', ['-c', '-q', '-f', join(dir, 'host.cfg')], { stdio: 'pipe' })).not.toThrow();
});

it('caddy: the imported site lines pass caddy validate', () => {
  const dir = snippets('caddy');
  writeFileSync(join(dir, 'Caddyfile'), `{\n\tadmin off\n\tauto_https off\n}\nhttp://127.0.0.1:1 {\n\timport ${join(dir, 'cors.caddy')}\n\treverse_proxy 127.0.0.1:2\n}\n`);
  const out = execFileSync('caddy', ['validate', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(out).toContain('Valid configuration');
});
