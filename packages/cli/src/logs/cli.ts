/**
 * `cors-sentinel logs --format nginx-json [--policy FILE | --expected-origins a,b]
 *   --metrics-listen 127.0.0.1:9464 FILE|-`
 */
import { parseArgs } from 'node:util';
import { bearerTokenFromEnv, listen, onShutdown, parseListen, positiveInt, probeKeyFlag, UsageError } from '../cli-args';
import { createAdminListener, healthRoute, type AdminHealth } from 'cors-sentinel/internal/metrics/admin-listener';
import { createMetricsHandler } from 'cors-sentinel/internal/metrics/handler';
import type { CorsObserverOptions } from 'cors-sentinel/internal/observer/observer';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';
import { observerOptions } from '../proxy/observer-options';
import { BlindnessWatch } from './blindness';
import { LogFollower, type FollowHealth } from './follow';
import { NGINX_LOG_FORMAT } from './nginx';
import { LineSplitter } from './lines';
import { createLogObserver, type LineClock } from './observer';
import { otlpUsage, otlpSettings, startOtlpExport } from '../otlp/export';
import { evidenceFlag } from '../evidence-flag';
import { checkFormat, checkReadable, readHistory, summary } from './history';

/** Not the proxy's 9464: a host that runs both must not find the port taken (issue #30). */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9465';

const USAGE = `usage: cors-sentinel logs --format nginx-json [--policy FILE | --expected-origins a,b] [options] FILE|-
       cors-sentinel logs --format nginx-json --once [--evidence OUT.json] [--policy FILE] FILE...

  --format nginx-json        lines written by the cors_json log_format (docs/proxy.md)
  --policy FILE              the policy you mean: expected origins, route names, report-only candidate
  --expected-origins a,b     or just the origins you expect to be granted
  --metrics-listen HOST:PORT /metrics and /healthz (default ${DEFAULT_METRICS_LISTEN}; the proxy's is 127.0.0.1:9464)
  --from-start               read FILE from its start (default: its end, like tail -f)
  --copy-path PATH           where copytruncate leaves the copy (default FILE.1)
  --poll-ms N                how often FILE is checked (default 250)
  --blind-after-ms N         how long the reader may be blind (no file, unreadable, malformed lines, a
                             log_format without the CORS fields) before /healthz answers 503 (default 30000);
                             every change of state is printed on stderr at once
${otlpUsage(29)}
  --probe-key-file FILE      key shared with \`cors-sentinel probe --key-file\`: signed probes in the log
                             (request_uri and http_cors_sentinel_probe fields) are counted apart
  --print-log-format         print the nginx log_format and access_log lines the reader expects, and exit
  --evidence FILE            record the evidence ledger (docs/evidence.md) dated by each line's own time;
                             merged with FILE if it exists, written atomically every minute and on exit
  --once                     read the given FILEs from start to end, write the evidence and exit (no
                             listener): last month's logs as evidence. Exits non-zero, writing nothing,
                             on an unreadable file or one whose lines are not the format

Set METRICS_BEARER_TOKEN to require a bearer token on /metrics.`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' }, policy: { type: 'string' }, 'expected-origins': { type: 'string' }, 'metrics-listen': { type: 'string' },
      'from-start': { type: 'boolean' }, 'copy-path': { type: 'string' }, 'poll-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      'blind-after-ms': { type: 'string' }, 'print-log-format': { type: 'boolean' }, 'otlp-endpoint': { type: 'string' },
      evidence: { type: 'string' }, once: { type: 'boolean' }, 'probe-key-file': { type: 'string' },
    },
  });
  if (values.help) return void console.log(USAGE);
  if (values['print-log-format']) return void console.log(`${NGINX_LOG_FORMAT}\naccess_log /var/log/nginx/cors.log cors_json;`);
  const problems: string[] = [];
  if (values.format !== 'nginx-json') problems.push(`--format ${JSON.stringify(values.format ?? '')}: only nginx-json is supported`);
  if (values.policy !== undefined && values['expected-origins'] !== undefined) problems.push('use --policy or --expected-origins, not both');
  if (values.once) {
    if (positionals.length === 0 || positionals.includes('-')) problems.push('--once reads log FILEs (one or more; not stdin)');
  } else if (positionals.length !== 1) problems.push('name one log FILE, or - for stdin');
  const probeKey = probeKeyFlag(values['probe-key-file'], problems);
  if (problems.length > 0) throw new UsageError(`cors-sentinel logs:\n  ${problems.join('\n  ')}\n\n${USAGE}`);
  const clock: LineClock = { time: Number.NaN };
  const evidence = evidenceFlag(values.evidence, 'logs');
  const options = {
    ...optionsFrom(values.policy, values['expected-origins']),
    ...(evidence ? { evidence: { ...evidence, now: () => clock.time } } : {}),
    ...(probeKey !== undefined ? { probeKey } : {}),
  };
  if (values.once) return readOnce(positionals, options, clock);
  // Every flag is checked before anything listens or reads.
  const where = parseListen(values['metrics-listen'] ?? DEFAULT_METRICS_LISTEN, '--metrics-listen');
  const pollMs = positiveInt(values['poll-ms'], '--poll-ms', 250);
  const otlpExport = otlpSettings(values['otlp-endpoint'], 'logs');

  let readHealth = (): FollowHealth => ({ ok: true, open: true });
  const blindness = new BlindnessWatch({
    graceMs: positiveInt(values['blind-after-ms'], '--blind-after-ms', 30_000),
    file: () => {
      const reading = readHealth();
      return { open: reading.open, error: reading.error };
    },
    // One JSON line like the reader's other log lines: `{"message":"cors log reader state","blind":true,"reason":…}`.
    report: (state) => console.error(JSON.stringify({ level: state.blind ? 'warn' : 'info', message: 'cors log reader state', blind: state.blind, state: state.kind, reason: state.text })),
  });
  const logs = createLogObserver(options, (result, missing) => blindness.noteLine(result, missing), clock);
  const auth = bearerTokenFromEnv('METRICS_BEARER_TOKEN', 'logs');
  const admin = createAdminListener({
    routes: {
      '/metrics': createMetricsHandler(logs.registry, auth ? { auth } : {}),
      '/healthz': healthRoute(() => logsHealth(readHealth, blindness)),
    },
  });
  console.log(`cors-sentinel logs metrics on ${await listen(admin, where, '--metrics-listen')}/metrics`);
  const otlp = otlpExport === undefined ? undefined : startOtlpExport(logs.registry, otlpExport, 'logs');

  const file = positionals[0] as string;
  const { stop: stopReading, health } = file === '-' ? readStdin(logs.line) : await followFile(file, logs.line, { ...values, pollMs });
  readHealth = health;
  logs.watchReading(() => health().ok);
  console.log(`cors-sentinel logs reading ${file === '-' ? 'stdin' : file}`);
  blindness.check(); // the state at start, on stderr
  const watch = setInterval(() => blindness.check(), 1_000);
  watch.unref();
  const stop = async (): Promise<void> => {
    clearInterval(watch);
    await stopReading();
    logs.close();
    await otlp?.shutdown(); // the last export, with the lines read until now
    admin.close();
    process.exit(0);
  };
  onShutdown(stop);
}

/** `--once`: every file checked, read whole, the format checked, then the evidence written (on close) and exit 0. */
async function readOnce(files: readonly string[], options: CorsObserverOptions, clock: LineClock): Promise<void> {
  checkReadable(files);
  // Last month's rejections are history, not alerts: no violation lines; no periodic write (only a complete import is written).
  const evidence = options.evidence ? { ...options.evidence, flushIntervalMs: 2_000_000_000 } : undefined;
  const logs = createLogObserver({ ...options, logger: false, ...(evidence ? { evidence } : {}) }, undefined, clock);
  const readings = await readHistory(files, logs, clock);
  checkFormat(readings); // throws before close(): a wrong import writes nothing
  logs.close();
  console.log(`cors-sentinel logs: ${summary(readings)}${evidence ? `; evidence written to ${evidence.file}` : ''}`);
}

/**
 * /healthz: 503 while the log cannot be read or once the reader has been blind too long — a reader
 * that stopped reading, or reads nothing it can use, is restarted or looked at, not trusted.
 */
function logsHealth(reading: () => FollowHealth, blindness: BlindnessWatch): AdminHealth {
  const read = reading();
  if (!read.ok) return { ok: false, reason: `log not readable: ${read.error ?? 'unknown error'}` };
  const seeing = blindness.health();
  if (!seeing.ok) return { ok: false, reason: `blind: ${seeing.reason}` };
  return { ok: true };
}

function optionsFrom(policyPath: string | undefined, expected: string | undefined): CorsObserverOptions {
  if (policyPath !== undefined) return observerOptions(loadPolicyFile(policyPath), {});
  if (expected !== undefined) return { expectedOrigins: expected.split(',').map((o) => o.trim()).filter((o) => o !== '') };
  return {};
}

interface Reading {
  stop: () => Promise<void>;
  health: () => FollowHealth;
}

async function followFile(file: string, sink: (line: string | undefined) => unknown, values: Record<string, unknown>): Promise<Reading> {
  const follower = new LogFollower(file, (line) => void sink(line), {
    onError: (err) => console.error(`cors-sentinel logs: cannot read ${file}: ${err.message} (retrying; /healthz answers 503 while it lasts)`),
    fromStart: values['from-start'] === true,
    pollMs: values.pollMs as number,
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
  return { stop: async () => undefined, health: () => ({ ok: true, open: true }) };
}
