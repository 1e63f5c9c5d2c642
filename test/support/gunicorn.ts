/**
 * A real Flask app under gunicorn for tests (Debian's python3-flask, python3-flask-cors, gunicorn),
 * on a free port of 127.0.0.1, with gthread workers and gunicorn's access log in `output()`.
 *
 * The app is either the caller's `source` (a module defining the WSGI callable `app`, written to a
 * temp directory) or, by default, the fixture app test/fixtures/flask with its `CORS_MODE`.
 * Uses `/usr/bin/python3 -m gunicorn`, so the Debian packages are the ones loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../packages/cli/src/stack/run';
import { spawnListening } from './listening';

export const PYTHON = process.env.PYTHON_BIN ?? '/usr/bin/python3';
export const FLASK_APP_DIR = join(__dirname, '..', 'fixtures', 'flask');

/** Whether python3 can import every module (e.g. gunicorn, flask, flask_cors). */
export function hasPythonModules(...modules: string[]): boolean {
  return spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' }).status === 0;
}

/** The CORS layer of the fixture app (see test/fixtures/flask/app.py). */
export type FlaskCorsMode = 'none' | 'open' | 'credentials' | 'dynamic' | 'stacked';

export interface RunningGunicorn {
  readonly port: number;
  readonly url: string;
  /** gunicorn's output so far, its access log included. */
  output(): string;
  stop(): Promise<void>;
}

interface WorkerOptions {
  /** Worker processes (default 1). */
  readonly workers?: number;
  /** Threads per gthread worker (default 8). */
  readonly threads?: number;
}

export type GunicornOptions = WorkerOptions &
  (
    | { /** Python source defining the WSGI callable `app`. */ readonly source: string; readonly corsMode?: never }
    | { readonly source?: never; /** The fixture app's CORS layer (default `none`). */ readonly corsMode?: FlaskCorsMode }
  );

/** Where the app lives: the fixture directory, or a temp directory holding `source` as app.py. */
function appDir(options: GunicornOptions): { dir: string; scratchDir?: string } {
  if (options.source === undefined) return { dir: FLASK_APP_DIR };
  const dir = mkdtempSync(join(tmpdir(), 'cors-gunicorn-'));
  writeFileSync(join(dir, 'app.py'), options.source);
  return { dir, scratchDir: dir };
}

export async function startGunicorn(options: GunicornOptions = {}): Promise<RunningGunicorn> {
  const { dir, scratchDir } = appDir(options);
  const port = await freePort();
  const args = ['-m', 'gunicorn', '--chdir', dir, '--bind', `127.0.0.1:${port}`, '--workers', String(options.workers ?? 1)];
  args.push('--worker-class', 'gthread', '--threads', String(options.threads ?? 8), '--graceful-timeout', '2', '--access-logfile', '-', 'app:app');
  const g = await spawnListening('gunicorn', PYTHON, args, port, {
    scratchDir,
    env: { CORS_MODE: options.corsMode ?? 'none', PYTHONDONTWRITEBYTECODE: '1' },
    ready: (output) => /Booting worker/.test(output), // the master has forked a worker, not just bound
  });
  return { port, url: `http://127.0.0.1:${port}`, output: g.output, stop: g.stop };
}
