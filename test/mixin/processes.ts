/**
 * The real servers of the mixin's end-to-end tests (Prometheus, Alertmanager, VictoriaMetrics, vmalert):
 * started with their stderr kept for the failure message, listened on loopback, and polled until ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MixinConfig } from '../../packages/cli/src/mixin/config';
import { generateRules } from '../../packages/cli/src/mixin/generate';
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

/** An instant query's result vector from a Prometheus at `base`. */
export async function promQuery(base: string, expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
}

/**
 * Browser-like traffic to `api` every 100 ms until the returned function is called: a frontend's GETs
 * and a preflight now and then, non-CORS requests, and a stranger's occasional rejected request.
 */
export function browserTraffic(api: string, frontend: string, agent: Agent): () => void {
  const send = (method: string, path: string, headers: Record<string, string>): void => {
    const req = request(`${api}${path}`, { method, headers, agent }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end();
  };
  let tick = 0;
  const timer = setInterval(() => {
    tick += 1;
    send('GET', '/api/products', { Origin: frontend });
    if (tick % 3 === 0) send('GET', '/public/status', {});
    if (tick % 10 === 0) send('OPTIONS', '/api/orders/1', { Origin: frontend, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' });
    if (tick % 20 === 0) send('GET', '/api/products', { Origin: 'https://stranger.example' });
  }, 100);
  return () => clearInterval(timer);
}

/** Starts Prometheus on `port` with `dir`/prometheus.yml and its TSDB under `dir`. */
export function startPrometheus(dir: string, port: number, extraArgs: readonly string[] = []): ChildProcess {
  return start('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`, ...extraArgs, '--log.level=warn',
  ]);
}

/** Writes the rule files generated for `config` into `dir`; returns their paths. */
export function writeRuleFiles(dir: string, config: MixinConfig): string[] {
  return Object.entries(generateRules(config)).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}
