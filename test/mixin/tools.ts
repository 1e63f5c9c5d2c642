/**
 * Helpers for the tests that run the real promtool, amtool, prometheus and alertmanager. Outside CI
 * a missing tool skips those tests; in CI (`CI` set) they always run, so a missing tool fails them.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';

export function hasTools(...names: string[]): boolean {
  return names.every((name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** `describe` when the tools exist or in CI, else `describe.skip`. */
export function describeWithTools(...names: string[]): jest.Describe {
  return process.env.CI || hasTools(...names) ? describe : describe.skip;
}

export function run(cmd: string, args: readonly string[], cwd?: string): SpawnSyncReturns<string> & { output: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return Object.assign(r, { output: `${r.stdout ?? ''}${r.stderr ?? ''}` });
}

/** A port that was free a moment ago on 127.0.0.1 (the stack runner's own helper). */
export { freePort } from '../../packages/cli/src/stack/run';

export interface RunResult {
  readonly status: number | null;
  readonly output: string;
}

/** Like `run`, without blocking the event loop (so several tools can run at once). */
export function runAsync(cmd: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ status: null, output: String(err) }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** `promtool test rules` on each file in parallel (promtool runs files one after another). */
export async function promtoolTest(cwd: string, files: readonly string[]): Promise<RunResult> {
  const results = await Promise.all(files.map((f) => runAsync('promtool', ['test', 'rules', f], cwd)));
  const failed = results.find((r) => r.status !== 0);
  return { status: failed ? failed.status : 0, output: results.map((r) => r.output).join('\n') };
}
