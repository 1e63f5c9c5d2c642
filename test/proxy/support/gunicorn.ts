/**
 * A real Flask app under gunicorn (Debian `python3-flask`, `python3-flask-cors`, `gunicorn`) on a
 * free port chosen by the kernel; the port is read from gunicorn's "Listening at" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { hasCommand } from '../../support/processes';

export const FLASK_APP_DIR = path.join(__dirname, '..', '..', 'fixtures', 'flask');
const GUNICORN = process.env.GUNICORN ?? '/usr/bin/gunicorn';

export type FlaskCorsMode = 'none' | 'open' | 'credentials' | 'dynamic' | 'stacked';

export interface Gunicorn {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export function haveGunicorn(): boolean {
  return hasCommand(GUNICORN);
}

export interface GunicornOptions {
  readonly corsMode?: FlaskCorsMode;
  readonly workers?: number;
  readonly threads?: number;
}

/** Starts `gunicorn app:app` from test/fixtures/flask; resolves once a worker has booted. */
export function startGunicorn(options: GunicornOptions = {}): Promise<Gunicorn> {
  const args = ['-w', String(options.workers ?? 1), '-k', 'gthread', '--threads', String(options.threads ?? 8), '-b', '127.0.0.1:0', '--graceful-timeout', '2', 'app:app'];
  const child = spawn(GUNICORN, args, {
    cwd: FLASK_APP_DIR,
    env: { ...process.env, CORS_MODE: options.corsMode ?? 'none', PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let port = 0;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 4000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`gunicorn did not start within 20 s:\n${out}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      port ||= Number(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1] ?? 0);
      if (port && /Booting worker/.test(out)) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve({ port, url: `http://127.0.0.1:${port}`, child, stop });
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.resume();
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gunicorn exited with ${code} before it was ready:\n${out}`));
    });
  });
}
