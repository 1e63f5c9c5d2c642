/**
 * Helpers for the tests that run the real promtool, amtool, prometheus and alertmanager. Outside CI
 * a missing tool skips those tests; in CI (`CI` set) they always run, so a missing tool fails them.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { availableParallelism } from 'node:os';

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
export function runAsync(cmd: string, args: readonly string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ status: null, output: String(err) }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/**
 * How many tool processes `promtoolTest` runs at once, across the whole test file: one per CPU. The test
 * process itself mostly waits (another Jest worker may run a suite beside it, mostly waiting too); more
 * would only make each promtool slower (and take more memory on a shared CI machine), fewer would leave
 * a CPU idle.
 */
const SLOTS = Math.max(1, availableParallelism());
let busy = 0;
const waiting: Array<() => void> = [];

/** Runs `task` when a slot is free; a finished task hands its slot to the next in line (first come, first served). */
async function inSlot<T>(task: () => Promise<T>): Promise<T> {
  if (busy < SLOTS) busy += 1;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else busy -= 1;
  }
}

/**
 * promtool's Go garbage collector runs less often (GOGC=400, unless GOGC is set): a scenario's heap is
 * small and short-lived, and measured on two scenario files, 11-19 % less CPU per run for 64 → 125 MB of
 * memory at most. Only how often Go collects changes: not what promtool evaluates.
 */
const PROMTOOL_ENV: NodeJS.ProcessEnv = { ...process.env, GOGC: process.env.GOGC ?? '400' };

/**
 * `promtool test rules` on each file, one process per file (promtool runs a command's files one after
 * another), at most SLOTS at once. Runs started together share the slots: a test file can start all its
 * promtool runs up front and await each where it asserts, so no CPU idles between tests.
 */
export async function promtoolTest(cwd: string, files: readonly string[]): Promise<RunResult> {
  const results = await Promise.all(files.map((f) => inSlot(() => runAsync('promtool', ['test', 'rules', f], cwd, PROMTOOL_ENV))));
  const failed = results.find((r) => r.status !== 0);
  return { status: failed ? failed.status : 0, output: results.map((r) => r.output).join('\n') };
}
