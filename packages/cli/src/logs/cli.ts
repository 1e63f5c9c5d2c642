/**
 * `cors-sentinel logs --format nginx-json [--policy FILE | --expected-origins a,b]
 *   --metrics-listen 127.0.0.1:9464 FILE|-`
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { listen, parseListen, positiveInt } from '../cli-args';
import { nodeRoutingPath, refuseUnroutable } from 'cors-sentinel/internal/http/routing-path';
import { createMetricsHandler } from 'cors-sentinel/internal/metrics/handler';
import type { CorsObserverOptions } from 'cors-sentinel/internal/observer/observer';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';
import { observerOptions } from '../proxy/observer-options';
import { LogFollower, type FollowHealth } from './follow';
import { LineSplitter } from './lines';
import { createLogObserver } from './observer';

const USAGE = `usage: cors-sentinel logs --format nginx-json [--policy FILE | --expected-origins a,b] [options] FILE|-

  --format nginx-json        lines written by the cors_json log_format (docs/proxy.md)
  --policy FILE              the policy you mean: expected origins, route names, report-only candidate
  --expected-origins a,b     or just the origins you expect to be granted
  --metrics-listen HOST:PORT /metrics and /healthz (default 127.0.0.1:9464)
  --from-start               read FILE from its start (default: its end, like tail -f)
  --copy-path PATH           where copytruncate leaves the copy (default FILE.1)
  --poll-ms N                how often FILE is checked (default 250)

Set METRICS_BEARER_TOKEN to require a bearer token on /metrics.`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' }, policy: { type: 'string' }, 'expected-origins': { type: 'string' }, 'metrics-listen': { type: 'string' },
      'from-start': { type: 'boolean' }, 'copy-path': { type: 'string' }, 'poll-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const problems: string[] = [];
  if (values.format !== 'nginx-json') problems.push(`--format ${JSON.stringify(values.format ?? '')}: only nginx-json is supported`);
  if (values.policy !== undefined && values['expected-origins'] !== undefined) problems.push('use --policy or --expected-origins, not both');
  if (positionals.length !== 1) problems.push('name one log FILE, or - for stdin');
  if (problems.length > 0) throw new TypeError(`cors-sentinel logs:\n  ${problems.join('\n  ')}\n\n${USAGE}`);

  const logs = createLogObserver(optionsFrom(values.policy, values['expected-origins']));
  let readHealth = (): FollowHealth => ({ ok: true });
  const metrics = createMetricsHandler(logs.registry, process.env.METRICS_BEARER_TOKEN ? { auth: { bearerToken: process.env.METRICS_BEARER_TOKEN } } : {});
  const admin = createServer((req, res) => {
    const path = nodeRoutingPath(req.url ?? '/');
    if (path === undefined) return refuseUnroutable(res);
    if (path === '/metrics') return metrics(req, res);
    // /healthz fails while the log cannot be read, so that a reader that stopped is restarted, not trusted.
    const reading = readHealth();
    if (path === '/healthz' && !reading.ok) return void res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end(`log not readable: ${reading.error ?? 'unknown error'}\n`);
    res.writeHead(path === '/healthz' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(path === '/healthz' ? 'ok\n' : 'Not Found\n');
  });
  console.log(`cors-sentinel logs metrics on ${await listen(admin, parseListen(values['metrics-listen'] ?? '127.0.0.1:9464', '--metrics-listen'))}/metrics`);

  const file = positionals[0] as string;
  const { stop: stopReading, health } = file === '-' ? readStdin(logs.line) : await followFile(file, logs.line, values);
  readHealth = health;
  logs.watchReading(() => health().ok);
  console.log(`cors-sentinel logs reading ${file === '-' ? 'stdin' : file}`);
  const stop = async (): Promise<void> => {
    await stopReading();
    logs.close();
    admin.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

function optionsFrom(policyPath: string | undefined, expected: string | undefined): CorsObserverOptions {
  if (policyPath !== undefined) return observerOptions(loadPolicyFile(policyPath), {});
  if (expected !== undefined) return { expectedOrigins: expected.split(',').map((o) => o.trim()).filter((o) => o !== '') };
  return {};
}

interface Reading {
  stop(): Promise<void>;
  health(): FollowHealth;
}

async function followFile(file: string, sink: (line: string | undefined) => unknown, values: Record<string, unknown>): Promise<Reading> {
  const follower = new LogFollower(file, (line) => void sink(line), {
    onError: (err) => console.error(`cors-sentinel logs: cannot read ${file}: ${err.message} (retrying; /healthz answers 503 while it lasts)`),
    fromStart: values['from-start'] === true,
    pollMs: positiveInt(values['poll-ms'] as string | undefined, '--poll-ms', 250),
    ...(typeof values['copy-path'] === 'string' ? { copyPath: values['copy-path'] } : {}),
  });
  await follower.start();
  return { stop: () => follower.stop(), health: () => follower.health() };
}

function readStdin(sink: (line: string | undefined) => unknown): Reading {
  const lines = new LineSplitter((line) => void sink(line));
  process.stdin.on('data', (chunk: Buffer) => lines.push(chunk));
  // At the end of the input the metrics stay up for a last scrape; SIGTERM stops the process.
  process.stdin.on('end', () => lines.flush());
  return { stop: async () => undefined, health: () => ({ ok: true }) };
}
