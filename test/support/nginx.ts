/**
 * A real nginx (Debian's nginx-light) for tests: its own prefix in a temp directory (pid, logs and
 * temp paths inside it), `daemon off`, one worker, a free port on 127.0.0.1. The caller gives the
 * `server { … }` body; `@PORT@` in it is replaced by the port.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/stack/run';
import { spawnListening } from './listening';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

export function hasNginx(): boolean {
  return spawnSync(NGINX, ['-v'], { stdio: 'ignore' }).status === 0;
}

export interface RunningNginx {
  readonly port: number;
  readonly url: string;
  readonly prefix: string;
  /** The access log so far (one line per request, `$request_method $request_uri` by default). */
  accessLog(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Directives inside `server { }` (without `listen`). */
  readonly server: string;
  /** Extra directives inside `http { }` (maps…). */
  readonly http?: string;
}

export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'cors-nginx-'));
  const port = await freePort();
  const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
  log_format probe '$request_method $request_uri';
  access_log ${prefix}/access.log probe;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server_tokens off;
  ${options.http ?? ''}
  server {
    listen 127.0.0.1:${port};
    ${options.server.replace(/@PORT@/g, String(port))}
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const nginx = await spawnListening('nginx', NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], port, prefix);
  return { port, url: `http://127.0.0.1:${port}`, prefix, accessLog: () => readFileSync(join(prefix, 'access.log'), 'utf8'), stop: nginx.stop };
}
