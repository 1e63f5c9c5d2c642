/** `cors-sentinel demo`: the demo API on the embedded policy, with its traffic simulator. */
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import winston from 'winston';
import { bearerTokenFromEnv, CliConfigError, listen, onShutdown, UsageError } from '../cli-args';
import { createDemoApp } from './app';
import { formatSummary, snapshot, summarize, type Snapshot } from './summary';
import { runTraffic, type TrafficProfile } from './traffic';

const HELP = `usage: cors-sentinel demo [--port 3000] [--host 127.0.0.1] [--metrics-port N] [--no-traffic] [--rate 20] [--profile normal|attack]
                          [--summary-interval 5] [--log-file PATH] [--json-log]

Runs a demo Express API behind cors-sentinel on its embedded policy, with /metrics, and (unless
--no-traffic) a traffic simulator that sends allowed, preflighted, rejected and attacking requests.
With --metrics-port, /metrics is served only there (on 127.0.0.1), not on the API port.
Every --summary-interval seconds (0: never) it prints what happened: requests by outcome, the top
rejected origins, preflights per actual request. The JSON violation log goes to --log-file
(default: cors-sentinel-demo.log in the temp directory), or with --json-log to stderr, as a
service would log it (no summary then).
Environment: PORT, HOST, METRICS_PORT, METRICS_TOKEN (bearer token required on /metrics),
TRAFFIC_RATE, TRAFFIC_PROFILE, NO_TRAFFIC=1.`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
      'metrics-port': { type: 'string', default: process.env.METRICS_PORT },
      'no-traffic': { type: 'boolean', default: process.env.NO_TRAFFIC === '1' },
      rate: { type: 'string', default: process.env.TRAFFIC_RATE ?? '20' },
      profile: { type: 'string', default: process.env.TRAFFIC_PROFILE ?? 'normal' },
      'summary-interval': { type: 'string', default: '5' },
      'log-file': { type: 'string', default: join(tmpdir(), 'cors-sentinel-demo.log') },
      'json-log': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const rate = Number(values.rate);
  const profile = values.profile as TrafficProfile;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`demo: invalid --port ${values.port}`);
  if (!(rate > 0)) throw new UsageError(`demo: invalid --rate ${values.rate}`);
  if (profile !== 'normal' && profile !== 'attack') throw new UsageError(`demo: --profile must be normal or attack`);

  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) throw new UsageError(`demo: invalid --metrics-port ${values['metrics-port']}`);
  const metricsAuth = bearerTokenFromEnv('METRICS_TOKEN', 'demo');
  const token = metricsAuth !== undefined;
  const summaryEvery = values['json-log'] ? 0 : Number(values['summary-interval']);
  if (!(summaryEvery >= 0)) throw new UsageError(`demo: invalid --summary-interval ${values['summary-interval']}`);
  const registry = new Registry();
  // Violations are JSON lines for machines: a file by default, stderr with --json-log.
  const logger = values['json-log'] ? undefined : fileLogger(values['log-file']);
  const { app, cors } = createDemoApp({ metricsAuth, metricsOnApi: metricsPort === undefined, registry, ...(logger ? { logger } : {}) });
  const metricsServer = metricsPort === undefined ? undefined : await cors.serveMetrics({ port: metricsPort, ...(metricsAuth ? { auth: metricsAuth } : {}) }).catch((err: NodeJS.ErrnoException) => {
    throw err.syscall === 'listen' ? new CliConfigError(`--metrics-port ${metricsPort}: cannot listen on 127.0.0.1:${metricsPort} (${err.code}); choose a free port`) : err;
  });
  const metricsAddress = metricsServer?.address();
  const metricsBase = typeof metricsAddress === 'object' && metricsAddress ? `http://127.0.0.1:${metricsAddress.port}` : undefined;
  const server: Server = createServer(app);
  await listen(server, { host: values.host, port }, '--port');
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const base = `http://${values.host === '0.0.0.0' ? '127.0.0.1' : values.host}:${actualPort}`;
  console.log(banner({ base, hash: cors.policy.hash, metrics: metricsBase ?? base, token, logFile: logger ? values['log-file'] : undefined, traffic: values['no-traffic'] ? undefined : `${rate} scenarios/s, profile "${profile}"` }));
  const summaries = summaryEvery > 0 ? startSummaries(registry, summaryEvery) : undefined;

  const abort = new AbortController();
  const traffic = values['no-traffic'] ? Promise.resolve() : runTraffic({ target: base, rate, profile, signal: abort.signal });
  const stop = (): void => {
    abort.abort();
    if (summaries) clearInterval(summaries);
    cors.close(); // flushes the last log summaries: before the logger closes, or winston drops them with a warning
    logger?.close();
    server.close();
    server.closeAllConnections?.();
    metricsServer?.close();
  };
  onShutdown(stop);
  await traffic;
}

function fileLogger(path: string): winston.Logger {
  return winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.File({ filename: path })] });
}

/** Prints a compact summary every `seconds`: what /metrics counted since the last one. */
function startSummaries(registry: Registry, seconds: number): NodeJS.Timeout {
  let last: Snapshot | undefined;
  const timer = setInterval(() => {
    void snapshot(registry).then((now) => {
      if (last) console.log(formatSummary(summarize(last, now), seconds, new Date()));
      last = now;
    });
  }, seconds * 1000);
  timer.unref();
  void snapshot(registry).then((first) => (last = first));
  return timer;
}

interface BannerFacts {
  readonly base: string;
  readonly hash: string;
  readonly metrics: string;
  readonly token: boolean;
  readonly logFile: string | undefined;
  readonly traffic: string | undefined;
}

/** Where everything is: the first thing a person sees after `npm start`. */
function banner(f: BannerFacts): string {
  return `cors-sentinel demo API listening on ${f.base}  (policy ${f.hash})

  metrics:     curl -s ${f.token ? "-H 'Authorization: Bearer …' " : ''}${f.metrics}/metrics | grep '^cors_'
  allowed:     curl -si -H 'Origin: https://app.example.com' ${f.base}/api/products
  rejected:    curl -si -X OPTIONS -H 'Origin: https://evil.example.net' -H 'Access-Control-Request-Method: PUT' ${f.base}/api/orders/1
  explain:     rejected requests are logged as JSON lines ${f.logFile ? `to ${f.logFile}` : 'on stderr'} (rate-limited per reason)
  dashboards:  npm run stack (Prometheus, Alertmanager, Grafana on loopback), or import dashboards/*.json
${f.traffic ? `\n  traffic simulator: ${f.traffic} (stop with Ctrl-C; --no-traffic to disable)\n` : ''}`;
}
