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

/** Resolves once `port` accepts connections; rejects with the child's output if it exits or the time runs out. */
export async function waitForPort(child: ChildProcess, port: number, output: () => string, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the child is gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

export interface ListeningChild {
  readonly child: ChildProcess;
  output(): string;
  /** Stops the child and removes its scratch directory. */
  stop(): Promise<void>;
}

/** Spawns a server, collects its output, and resolves once it listens on `port`; cleans up if it never does. */
export async function spawnListening(what: string, command: string, args: string[], port: number, scratchDir: string, env: NodeJS.ProcessEnv = {}): Promise<ListeningChild> {
  let out = '';
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(scratchDir, { recursive: true, force: true });
  };
  try {
    await waitForPort(child, port, () => out, what);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, output: () => out, stop };
}
