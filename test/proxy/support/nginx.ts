/**
 * A real nginx (Debian `nginx-light`) for tests: its own prefix directory (pid, logs, temp paths),
 * `daemon off`, one worker, a free port. `http` is the body of the http block with `@PORT@` and
 * `@PREFIX@` filled in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../src/stack/run';

export const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export interface Nginx {
  readonly port: number;
  readonly url: string;
  readonly prefix: string;
  readonly child: ChildProcess;
  /** `nginx -s reopen` (what logrotate's postrotate does after a rename); resolves once `logFile` exists again. */
  reopen(logFile: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startNginx(http: string): Promise<Nginx> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'cors-nginx-'));
  // Run as root, nginx's workers are `nobody`: they must reach the prefix to reopen logs (USR1).
  chmodSync(prefix, 0o755);
  const port = await freePort();
  const conf = `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  ${http.replaceAll('@PORT@', String(port)).replaceAll('@PREFIX@', prefix)}
}
`;
  writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}:\n${out}\n${safeRead(path.join(prefix, 'error.log'))}`);
    try {
      await fetch(`${url}/__ready`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const signal = (name: NodeJS.Signals): void => {
    process.kill(Number(readFileSync(path.join(prefix, 'nginx.pid'), 'utf8').trim()), name);
  };
  return {
    port,
    url,
    prefix,
    child,
    async reopen(logFile) {
      signal('SIGUSR1');
      const until = Date.now() + 5000;
      while (!existsSync(logFile)) {
        if (Date.now() > until) throw new Error(`nginx did not reopen ${logFile}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(prefix, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGQUIT'); // graceful: workers finish and flush their logs
        setTimeout(() => child.kill('SIGKILL'), 4000).unref();
      }),
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
