/**
 * The log observer reading a real nginx's access log (the cors_json format of docs/proxy.md):
 * the article's production config, which reflects $http_origin with credentials, is found out;
 * a `map` allowlist is not; counts match the requests sent, through rotation by rename and by
 * copytruncate, with malformed lines counted and skipped.
 */
import { appendFileSync, copyFileSync, renameSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { LogFollower } from '../../packages/cli/src/logs/follow';
import { NGINX_LOG_FORMAT } from '../../packages/cli/src/logs/nginx';
import { createLogObserver, type LogObserver } from '../../packages/cli/src/logs/observer';
import { startNginx, type RunningNginx } from '../support/nginx';
import { describeIfCommand } from '../support/processes';
import { sumSamples } from '../support/metrics-text';
import { send } from '../proxy/support';

const TRUSTED = 'https://app.example.com';
const EVIL = ['https://evil.example', 'https://attacker.example.net', 'https://app.example.com.evil.com', 'null', 'https://x.invalid'];

/** The article's production example: every origin reflected, with credentials. */
const REFLECTING = `
  ${NGINX_LOG_FORMAT}
  server {
    listen 127.0.0.1:@PORT@;
    access_log @PREFIX@/cors.log cors_json;
    location / {
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $http_origin;
        add_header Access-Control-Allow-Credentials true;
        add_header Access-Control-Allow-Methods "GET, POST, PUT, DELETE, OPTIONS";
        add_header Access-Control-Allow-Headers "Content-Type, Authorization";
        add_header Access-Control-Max-Age 600;
        return 204;
      }
      add_header Access-Control-Allow-Origin $http_origin always;
      add_header Access-Control-Allow-Credentials true always;
      add_header Vary Origin always;
      return 200 '{"ok":true}';
    }
  }`;

/** The safe way: a map allowlist; other origins get no CORS headers. */
const ALLOWLIST = `
  ${NGINX_LOG_FORMAT}
  map $http_origin $cors_origin {
    default "";
    "${TRUSTED}" $http_origin;
  }
  map $cors_origin $cors_credentials {
    default "true";
    "" "";
  }
  # A preflight is OPTIONS with Origin and Access-Control-Request-Method; a rejected one reveals nothing.
  map "$request_method:$http_access_control_request_method:$cors_origin" $preflight {
    default "";
    "~^OPTIONS:.+:$" "rejected";
    "~^OPTIONS:.+:.+$" "allowed";
  }
  server {
    listen 127.0.0.1:@PORT@;
    access_log @PREFIX@/cors.log cors_json;
    location / {
      if ($preflight = "rejected") {
        add_header Vary "Origin, Access-Control-Request-Method" always;
        return 403;
      }
      if ($preflight = "allowed") {
        add_header Vary "Origin, Access-Control-Request-Method" always;
        add_header Access-Control-Allow-Origin $cors_origin always;
        add_header Access-Control-Allow-Credentials true always;
        add_header Access-Control-Allow-Methods "GET, POST, PUT" always;
        add_header Access-Control-Allow-Headers "Content-Type" always;
        return 204;
      }
      add_header Vary Origin always;
      add_header Access-Control-Allow-Origin $cors_origin always;
      add_header Access-Control-Allow-Credentials $cors_credentials always;
      return 200 '{"ok":true}';
    }
  }`;

interface Setup {
  nginx: RunningNginx;
  logs: LogObserver;
  follower: LogFollower;
  log: string;
  sent: number;
}

async function setup(config: string): Promise<Setup> {
  const nginx = await startNginx({ httpBody: config });
  const log = path.join(nginx.prefix, 'cors.log');
  const logs = createLogObserver({ expectedOrigins: [TRUSTED], logger: false });
  const follower = new LogFollower(log, logs.line, { pollMs: 25 });
  await follower.start();
  return { nginx, logs, follower, log, sent: 0 };
}

async function teardown(s: Setup | undefined): Promise<void> {
  await s?.follower.stop();
  s?.logs.close();
  await s?.nginx.stop();
}

async function metric(s: Setup, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sumSamples(await s.logs.registry.metrics(), name, labels);
}

/** Waits until the observer has read `lines` lines in all (observed and malformed). */
async function readAll(s: Setup, lines: number): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await metric(s, 'cors_log_lines_total')) < lines) {
    if (Date.now() > until) throw new Error(`read ${await metric(s, 'cors_log_lines_total')} of ${lines} lines`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The browser traffic of one round: trusted calls and preflights, cross-site calls and preflights, a
 * call without Origin. Each round has its own path, as real log lines differ by their timestamps (a
 * test sends its rounds within one second).
 */
async function traffic(s: Setup): Promise<{ trusted: number; evil: number; evilPreflights: number }> {
  const path = `/r${s.sent}/items`;
  for (let i = 0; i < 3; i++) await send(s.nginx.url, { path, headers: { origin: TRUSTED, cookie: 'sid=1' } });
  await send(s.nginx.url, { method: 'OPTIONS', path, headers: { origin: TRUSTED, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
  for (const origin of EVIL) await send(s.nginx.url, { path, headers: { origin, cookie: 'sid=1' } });
  for (const origin of EVIL.slice(0, 2)) await send(s.nginx.url, { method: 'OPTIONS', path, headers: { origin, 'access-control-request-method': 'PUT' } });
  await send(s.nginx.url, { path }); // no Origin: not CORS
  s.sent += 3 + 1 + EVIL.length + 2 + 1;
  return { trusted: 4, evil: EVIL.length, evilPreflights: 2 };
}

describeIfCommand('nginx')('log observer on nginx reflecting $http_origin with credentials (the article config)', () => {
  let s: Setup | undefined;
  beforeAll(async () => (s = await setup(REFLECTING)));
  afterAll(() => teardown(s));

  it('finds credentialed reflection for every untrusted origin nginx granted', async () => {
    const ctx = s as Setup;
    const sent = await traffic(ctx);
    await readAll(ctx, ctx.sent);
    expect(await metric(ctx, 'cors_log_lines_total', { result: 'malformed' })).toBe(0);
    expect(await metric(ctx, 'cors_response_findings_total', { finding: 'reflected_origin_with_credentials' })).toBe(sent.evil + sent.evilPreflights);
    // nginx granted them all: nothing looks rejected to a browser, which is the problem
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'rejected' })).toBe(0);
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'allowed' })).toBe(sent.trusted + sent.evil + sent.evilPreflights);
    expect(await metric(ctx, 'cors_non_cors_requests_total')).toBe(1);
  });
});

describeIfCommand('nginx')('log observer on nginx with a map allowlist', () => {
  let s: Setup | undefined;
  beforeAll(async () => (s = await setup(ALLOWLIST)));
  afterAll(() => teardown(s));

  it('no finding; rejected-origin counts match the cross-site requests sent', async () => {
    const ctx = s as Setup;
    const sent = await traffic(ctx);
    await readAll(ctx, ctx.sent);
    expect(await metric(ctx, 'cors_response_findings_total')).toBe(0);
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'rejected' })).toBe(sent.evil + sent.evilPreflights);
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'rejected', request_type: 'preflight' })).toBe(sent.evilPreflights);
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'allowed', origin: TRUSTED })).toBe(sent.trusted);
    expect(await metric(ctx, 'cors_violations_total', { reason: 'null_origin' })).toBe(1);
  });

  it('counts every request exactly once through rename + reopen and through copytruncate', async () => {
    const ctx = s as Setup;
    const before = ctx.sent;
    renameSync(ctx.log, `${ctx.log}.1`);
    await traffic(ctx); // nginx still writes to the renamed file
    await ctx.nginx.reopen(ctx.log);
    await traffic(ctx);
    await readAll(ctx, ctx.sent);
    await traffic(ctx);
    renameSync(`${ctx.log}.1`, `${ctx.log}.2`); // logrotate shifts the older generations first
    copyFileSync(ctx.log, `${ctx.log}.1`);
    truncateSync(ctx.log, 0);
    await traffic(ctx);
    await readAll(ctx, ctx.sent);
    await new Promise((r) => setTimeout(r, 200)); // a few more polls: nothing may be counted twice
    expect(ctx.sent - before).toBe(4 * 12);
    expect(await metric(ctx, 'cors_log_lines_total')).toBe(ctx.sent);
    expect(await metric(ctx, 'cors_requests_total', { outcome: 'rejected' })).toBe(5 * (EVIL.length + 2));
  });

  it('counts a malformed line and skips it', async () => {
    const ctx = s as Setup;
    appendFileSync(ctx.log, 'not json at all\n{"request_method":"GET"}\n[1,2]\n');
    await traffic(ctx);
    await readAll(ctx, ctx.sent + 3);
    expect(await metric(ctx, 'cors_log_lines_total', { result: 'malformed' })).toBe(3);
    expect(await metric(ctx, 'cors_log_lines_total', { result: 'observed' })).toBe(ctx.sent);
  });
});
