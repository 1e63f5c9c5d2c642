/**
 * A real Flask app under gunicorn for tests (Debian's python3-flask, python3-flask-cors, gunicorn):
 * the caller's app source is written to a temp directory and served by one sync worker on a free
 * port of 127.0.0.1. Uses `/usr/bin/python3 -m gunicorn`, so the Debian packages are the ones loaded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/stack/run';
import { spawnListening } from './listening';

export const PYTHON = process.env.PYTHON_BIN ?? '/usr/bin/python3';

/** Whether python3 can import every module (e.g. gunicorn, flask, flask_cors). */
export function hasPythonModules(...modules: string[]): boolean {
  return spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' }).status === 0;
}

export interface RunningGunicorn {
  readonly port: number;
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `source` defines a WSGI callable `app`. */
export async function startGunicorn(source: string): Promise<RunningGunicorn> {
  const dir = mkdtempSync(join(tmpdir(), 'cors-gunicorn-'));
  writeFileSync(join(dir, 'app.py'), source);
  const port = await freePort();
  const args = ['-m', 'gunicorn', '--chdir', dir, '--bind', `127.0.0.1:${port}`, '--workers', '1', '--access-logfile', '-', 'app:app'];
  const g = await spawnListening('gunicorn', PYTHON, args, port, dir, { PYTHONDONTWRITEBYTECODE: '1' });
  return { port, url: `http://127.0.0.1:${port}`, output: g.output, stop: g.stop };
}
