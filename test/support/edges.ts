/**
 * Real HAProxy 2.6 and Caddy 2.6 (Debian's `haproxy`, `caddy`) for tests: a config of the caller's on
 * a free port of 127.0.0.1 (`@PORT@` replaced), in the foreground, with one access-log line per
 * request (`METHOD URI`, HAProxy; JSON, Caddy) collected from their output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../packages/cli/src/stack/run';
import { spawnListening } from './listening';

export const HAPROXY = process.env.HAPROXY_BIN ?? 'haproxy';
export const CADDY = process.env.CADDY_BIN ?? 'caddy';

export function hasBinary(command: string, versionArg: string): boolean {
  return spawnSync(command, [versionArg], { stdio: 'ignore' }).status === 0;
}

export interface RunningEdge {
  readonly url: string;
  /** `METHOD URI` of every request the edge logged so far. */
  requests(): string[];
  stop(): Promise<void>;
}

/** `frontend` is the body of one HAProxy frontend (mode http, `bind` added); it answers with `http-request return`. */
export async function startHaproxy(frontend: string): Promise<RunningEdge> {
  const dir = mkdtempSync(join(tmpdir(), 'cors-haproxy-'));
  const port = await freePort();
  const config = `global
  log stdout format raw local0
defaults
  mode http
  log global
  option dontlognull
  timeout connect 5s
  timeout client 10s
  timeout server 10s
  timeout http-request 10s
frontend probe_target
  bind 127.0.0.1:${port}
  log-format "REQ %HM %HU"
${frontend.replaceAll('@PORT@', String(port))}
`;
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const child = await spawnListening('haproxy', HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], port, { scratchDir: dir });
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...child.output().matchAll(/^REQ (\S+ \S+)$/gm)].map((m) => m[1] as string),
    stop: child.stop,
  };
}

/** `site` is the body of one Caddyfile site block for http://127.0.0.1:PORT (access log added). */
export async function startCaddy(site: string): Promise<RunningEdge> {
  const dir = mkdtempSync(join(tmpdir(), 'cors-caddy-'));
  const port = await freePort();
  const caddyfile = `{
  admin off
  auto_https off
  storage file_system ${dir}/data
}
http://127.0.0.1:${port} {
  log {
    output stdout
    format json
  }
${site.replaceAll('@PORT@', String(port))}
}
`;
  writeFileSync(join(dir, 'Caddyfile'), caddyfile);
  const child = await spawnListening('caddy', CADDY, ['run', '--adapter', 'caddyfile', '--config', join(dir, 'Caddyfile')], port, {
    scratchDir: dir,
    env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () =>
      child
        .output()
        .split('\n')
        .filter((l) => l.includes('"http.log.access') && l.trimEnd().endsWith('}'))
        .map((l) => JSON.parse(l) as { request: { method: string; uri: string } })
        .map((e) => `${e.request.method} ${e.request.uri}`),
    stop: child.stop,
  };
}
