/** `cors-sentinel demo`: the demo API on the embedded policy, with its traffic simulator. */
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { createDemoApp } from './app';
import { runTraffic, type TrafficProfile } from './traffic';

const HELP = `usage: cors-sentinel demo [--port 3000] [--host 127.0.0.1] [--metrics-port N] [--no-traffic] [--rate 20] [--profile normal|attack]

Runs a demo Express API behind cors-sentinel on its embedded policy, with /metrics, and (unless
--no-traffic) a traffic simulator that sends allowed, preflighted, rejected and attacking requests.
With --metrics-port, /metrics is served only there (on 127.0.0.1), not on the API port.
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
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`demo: invalid --port ${values.port}`);
  if (!(rate > 0)) throw new Error(`demo: invalid --rate ${values.rate}`);
  if (profile !== 'normal' && profile !== 'attack') throw new Error(`demo: --profile must be normal or attack`);

  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) throw new Error(`demo: invalid --metrics-port ${values['metrics-port']}`);
  const token = process.env.METRICS_TOKEN;
  const metricsAuth = token ? { bearerToken: token } : undefined;
  const { app, cors } = createDemoApp({ metricsAuth, metricsOnApi: metricsPort === undefined });
  const metricsServer = metricsPort === undefined ? undefined : await cors.serveMetrics({ port: metricsPort, ...(metricsAuth ? { auth: metricsAuth } : {}) });
  const metricsAddress = metricsServer?.address();
  const metricsBase = typeof metricsAddress === 'object' && metricsAddress ? `http://127.0.0.1:${metricsAddress.port}` : undefined;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, values.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const base = `http://${values.host === '0.0.0.0' ? '127.0.0.1' : values.host}:${actualPort}`;
  console.log(`cors-sentinel demo API listening on ${base}  (policy ${cors.policy.hash})

  metrics:     curl -s ${token ? "-H 'Authorization: Bearer …' " : ''}${metricsBase ?? base}/metrics | grep '^cors_'
  allowed:     curl -si -H 'Origin: https://app.example.com' ${base}/api/products
  rejected:    curl -si -X OPTIONS -H 'Origin: https://evil.example.net' -H 'Access-Control-Request-Method: PUT' ${base}/api/orders/1
  explain:     rejected requests are logged as JSON lines on stderr (rate-limited per reason)
${values['no-traffic'] ? '' : `\n  traffic simulator: ${rate} scenarios/s, profile "${profile}" (stop with Ctrl-C; --no-traffic to disable)\n`}`);

  const abort = new AbortController();
  const traffic = values['no-traffic'] ? Promise.resolve() : runTraffic({ target: base, rate, profile, signal: abort.signal });
  const stop = (): void => {
    abort.abort();
    cors.close();
    server.close();
    server.closeAllConnections?.();
    metricsServer?.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await traffic;
}
