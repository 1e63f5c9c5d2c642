/** Child processes for integration tests: start, wait for a line, always clean up. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'cjs', 'cli.js');

/** Whether an executable is on PATH. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** In CI a missing tool is a failure, elsewhere a reason to skip: returns the describe to use. */
export function describeIfCommand(name: string): jest.Describe {
  if (hasCommand(name) || process.env.CI) return describe;
  // eslint-disable-next-line no-console
  console.warn(`skipping tests that need ${name} (not installed; CI installs it)`);
  return describe.skip;
}

export interface Started {
  readonly child: ChildProcess;
  readonly match: RegExpMatchArray;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns a command and resolves once a line of its stdout matches `ready`. */
export function startProcess(command: string, args: string[], ready: RegExp, timeoutMs = 15_000, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not print ${ready} within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const match = out.match(ready);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
        resolve({ child, match, output: () => out, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${out}`));
    });
  });
}
