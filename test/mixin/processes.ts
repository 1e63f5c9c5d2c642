/**
 * The real servers of the mixin's end-to-end tests (Prometheus, Alertmanager, VictoriaMetrics, vmalert):
 * started with their stderr kept for the failure message, listened on loopback, and polled until ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sleep } from '../support/wait';

export { sleep };

/** Spawns `cmd`; an exit the test did not cause prints the last of its stderr. */
export function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL' && code !== 0) console.error(`${cmd} exited with ${code ?? signal}:\n${err}`);
  });
  return child;
}

/** Kills the children this test started (by their handles) and waits until each has exited. */
export async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
}

export function listen(port: number, fn: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(fn);
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

/** Polls `probe` every 250 ms until it returns a value (errors count as "not yet"); throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** A webhook receiver's record of one Alertmanager notification. */
export interface Received {
  readonly path: string;
  readonly at: number;
  readonly body: { alerts: Array<{ status: string; labels: Record<string, string> }> };
}

/** A webhook receiver: every notification body, by path, appended to `received`. */
export function webhook(port: number, received: Received[]): Promise<Server> {
  return listen(port, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', at: Date.now(), body: JSON.parse(body) as Received['body'] });
      res.end();
    });
  });
}
