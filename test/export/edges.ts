/**
 * Real edges for the equivalence suites: the exported config run by the real server in front of a
 * real node:http upstream, and the middleware with the same policy in front of the same handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { exportPolicy } from '../../packages/cli/src/export/cli';
import { runProbe } from '../../packages/cli/src/probe/probe';
import { listen, send, type Exchange, type Req, type Running } from '../support/exchange';

/** The application behind both: `/boom` fails (500), `/missing` is a 404, anything else answers `app`. */
export function app(_req: IncomingMessage, res: ServerResponse): void {
  const path = (_req.url ?? '/').split('?')[0];
  if (path === '/boom') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
  if (path === '/missing') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('missing');
  res.writeHead(200, { 'content-type': 'text/plain' }).end('app');
}

export function startMiddleware(policy: CorsSentinelOptions): Promise<Running> {
  return listen(corsSentinelHandler({ ...policy, logger: false, metrics: false }, app));
}

/** The upstream behind an edge, recording every preflight that reached it (none may). */
export async function startUpstream(): Promise<Running & { readonly preflightsSeen: string[] }> {
  const preflightsSeen: string[] = [];
  const running = await listen((req, res) => {
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) preflightsSeen.push(req.url ?? '');
    app(req, res);
  });
  return { ...running, preflightsSeen };
}

/** A port that was free a moment ago (the edge binds it itself; a collision fails its start, retried). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function writePolicy(dir: string, policy: CorsSentinelOptions): string {
  const file = join(dir, 'policy.yaml');
  // RegExps as policy files write them: { regexp, flags }.
  const plain: unknown = JSON.parse(JSON.stringify(policy, (_key, value: unknown) => (value instanceof RegExp ? { regexp: value.source, flags: value.flags } : value)));
  writeFileSync(file, stringify(plain));
  return file;
}

export interface RunningEdge extends Running {
  readonly dir: string;
}

export type Launch = (dir: string) => { command: string; args: string[] };

/** Exports the policy for `target`, starts the edge and waits until it answers (generous: the machine is loaded). */
export async function startEdge(target: string, policy: CorsSentinelOptions, upstreamPort: number, launch: Launch): Promise<RunningEdge> {
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `cors-export-${target}-`));
    const port = await freePort();
    exportPolicy({ policyFile: writePolicy(dir, policy), target, out: dir, upstream: `http://127.0.0.1:${upstreamPort}`, listen: `127.0.0.1:${port}` });
    const { command, args } = launch(dir);
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    if (await answers(port, child)) return { port, dir, close: () => stop(child) };
    await stop(child);
    if (attempt >= 2) throw new Error(`${target} did not start: ${stderr}`);
  }
}

async function answers(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) return false;
    try {
      await send(port, { path: '/__ready' });
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** What the browser sees: status, body, every Access-Control-* header and Vary, by lower-case name. */
export function seen(x: Exchange): Record<string, string | number> {
  const out: Record<string, string | number> = { status: x.status, body: x.body };
  const order: string[] = [];
  for (const [name, value] of x.fields) {
    if (!name.startsWith('access-control-') && name !== 'vary') continue;
    out[name] = out[name] === undefined ? value : `${String(out[name])}, ${value}`;
    if (!order.includes(name)) order.push(name);
  }
  // The order of the CORS headers too (names compared lower-cased: HTTP/1.1 names are case-insensitive).
  out.order = order.join(' ');
  return out;
}

export async function compare(edgePort: number, middlewarePort: number, req: Req): Promise<{ edge: Record<string, string | number>; middleware: Record<string, string | number> }> {
  const [edge, middleware] = await Promise.all([send(edgePort, req), send(middlewarePort, req)]);
  return { edge: seen(edge), middleware: seen(middleware) };
}

/** `cors-sentinel probe` on a listener, as the frontend at `siteOrigin` uses it: its findings, by class and severity. */
export async function probeFindings(port: number, siteOrigin: string): Promise<{ findings: string[]; skipped: number }> {
  const report = await runProbe({ url: `http://127.0.0.1:${port}/api/items`, siteOrigin, method: 'PUT', headers: ['content-type'], budget: 400, deadlineMs: 90_000 });
  return { findings: report.findings.map((f) => `${f.severity}:${f.class}`).sort(), skipped: report.skipped };
}
