/** Waiting for a child process's TCP port, for servers that print nothing useful when ready (nginx, gunicorn). */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves once `port` accepts connections and `ready(output)` holds; rejects with the child's output
 * if it exits or the time runs out.
 */
export async function waitForPort(child: ChildProcess, port: number, output: () => string, what: string, ready: (output: string) => boolean = () => true, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`);
    if (ready(output()) && (await portOpen(port))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${output()}`);
}

/** `signal` (SIGTERM by default), then SIGKILL after 4 s; resolves when the child is gone. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 4000).unref();
  });
}

export interface ListeningChild {
  readonly child: ChildProcess;
  output(): string;
  /** Stops the child and removes its scratch directory. */
  stop(): Promise<void>;
}

export interface SpawnListeningOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Removed after the child has stopped. */
  readonly scratchDir?: string;
  /** The signal that stops the server gracefully (nginx: SIGQUIT, so workers flush their logs). */
  readonly stopSignal?: NodeJS.Signals;
  /** An extra readiness condition on the output (gunicorn: a worker has booted). */
  readonly ready?: (output: string) => boolean;
  /** More to show when the server fails to start (nginx: its error log). */
  readonly diagnostics?: () => string;
}

/** Spawns a server, collects its output, and resolves once it listens on `port`; cleans up if it never does. */
export async function spawnListening(what: string, command: string, args: string[], port: number, options: SpawnListeningOptions = {}): Promise<ListeningChild> {
  let out = '';
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child, options.stopSignal);
    if (options.scratchDir !== undefined) rmSync(options.scratchDir, { recursive: true, force: true });
  };
  try {
    await waitForPort(child, port, () => out + (options.diagnostics?.() ?? ''), what, options.ready);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, output: () => out, stop };
}
