/**
 * A real nginx (Debian's nginx-light) for tests: its own prefix in a temp directory (pid, logs and
 * temp paths inside it), `daemon off`, one worker, a free port on 127.0.0.1.
 *
 * Two ways to configure it:
 * - `{ server, http? }`: the body of one `server { }` (the helper adds `listen`) and extra `http`
 *   directives (maps…); every request is logged to `accessLog()` as `$request_method $request_uri`.
 * - `{ httpBody }`: the whole body of `http { }`, servers and `listen` included (for tests that own
 *   their log formats and access logs).
 * In both, `@PORT@` is replaced by the port and `@PREFIX@` by the prefix directory.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../packages/cli/src/stack/run';
import { spawnListening } from './listening';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export function hasNginx(): boolean {
  return spawnSync(NGINX, ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface RunningNginx {
  readonly port: number;
  readonly url: string;
  readonly prefix: string;
  /** The helper's access log so far (`{ server }` configs; one `$request_method $request_uri` line per request). */
  accessLog(): string;
  /** `nginx -s reopen` (what logrotate's postrotate does after a rename); resolves once `logFile` exists again. */
  reopen(logFile: string): Promise<void>;
  stop(): Promise<void>;
}

export type NginxOptions =
  | {
      /** Directives inside `server { }` (without `listen`). */
      readonly server: string;
      /** Extra directives inside `http { }` (maps…). */
      readonly http?: string;
    }
  | {
      /** The whole body of `http { }`, with its own `server { listen 127.0.0.1:@PORT@; … }`. */
      readonly httpBody: string;
    };

function httpBody(options: NginxOptions): string {
  if ('httpBody' in options) return options.httpBody;
  return `${options.http ?? ''}
  server {
    listen 127.0.0.1:@PORT@;
    ${options.server}
  }`;
}

function nginxConf(prefix: string, port: number, options: NginxOptions): string {
  const body = httpBody(options).replaceAll('@PORT@', String(port)).replaceAll('@PREFIX@', prefix);
  return `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  log_format test_requests '$request_method $request_uri';
  access_log ${prefix}/access.log test_requests;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server_tokens off;
  ${body}
}
`;
}

function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'cors-nginx-'));
  // When run as root, nginx's workers are `nobody`: they must reach the prefix to reopen logs (USR1).
  chmodSync(prefix, 0o755);
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), nginxConf(prefix, port, options));
  const args = ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')];
  const nginx = await spawnListening('nginx', NGINX, args, port, {
    scratchDir: prefix,
    stopSignal: 'SIGQUIT', // graceful: workers finish and flush their logs
    diagnostics: () => readIfExists(join(prefix, 'error.log')),
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    prefix,
    accessLog: () => readFileSync(join(prefix, 'access.log'), 'utf8'),
    async reopen(logFile) {
      process.kill(Number(readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim()), 'SIGUSR1');
      const until = Date.now() + 5000;
      while (!existsSync(logFile)) {
        if (Date.now() > until) throw new Error(`nginx did not reopen ${logFile}:\n${readIfExists(join(prefix, 'error.log'))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: nginx.stop,
  };
}
