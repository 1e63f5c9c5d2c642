/**
 * `cors-sentinel stack`: the docker-compose topology without Docker, from local binaries on loopback,
 * until Ctrl-C. `cors-sentinel stack webhook` runs only the on-call webhook receiver (compose uses it).
 */
import { parseArgs } from 'node:util';
import { startStack } from './run';
import { DEFAULT_PORTS, type Ports } from './topology';
import { onShutdown } from '../cli-args';

const HELP = `usage: cors-sentinel stack [options]
       cors-sentinel stack webhook [--host H] [--port 9099]

Starts the demo stack of docker-compose.yml from locally installed binaries, on 127.0.0.1, with the
same configuration files (deploy/, alerts/, dashboards/): the demo API, its traffic simulator,
Prometheus with the mixin rules, Alertmanager with the on-call route, the on-call webhook receiver
(its alert lines are printed here) and Grafana when a grafana binary is installed. Ctrl-C stops all.
Needs: prometheus and prometheus-alertmanager (Debian packages of the same names).

options:
  --profile normal|attack   traffic profile (default normal; attack adds probes, null and invalid origins)
  --rate N                  traffic scenarios per second (default 20)
  --scrape-interval DUR     override the scrape/evaluation interval of deploy/prometheus/prometheus.yml
  --no-grafana              do not start Grafana even if installed
  --api-port, --prometheus-port, --alertmanager-port, --webhook-port, --grafana-port, --prober-port N
                            local ports (defaults ${Object.values(DEFAULT_PORTS).join(', ')}; 0 = any free port)`;

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'webhook') return (await import('./webhook.js')).main(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: 'string', default: 'normal' },
      rate: { type: 'string', default: '20' },
      'scrape-interval': { type: 'string' },
      'no-grafana': { type: 'boolean', default: false },
      'api-port': { type: 'string' },
      'prometheus-port': { type: 'string' },
      'alertmanager-port': { type: 'string' },
      'webhook-port': { type: 'string' },
      'grafana-port': { type: 'string' },
      'prober-port': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return void console.log(HELP);
  if (values.profile !== 'normal' && values.profile !== 'attack') throw new Error('stack: --profile must be normal or attack');
  const ports: Partial<Ports> = {};
  const portFlags = { api: 'api-port', prometheus: 'prometheus-port', alertmanager: 'alertmanager-port', 'oncall-webhook': 'webhook-port', grafana: 'grafana-port', prober: 'prober-port' } as const;
  for (const [service, flag] of Object.entries(portFlags) as Array<[keyof Ports, keyof typeof values]>) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`stack: invalid --${flag} ${raw}`);
    ports[service] = port;
  }

  console.log('starting the cors-sentinel stack (native)…');
  const stack = await startStack({
    ports,
    trafficProfile: values.profile,
    trafficRate: Number(values.rate),
    scrapeInterval: values['scrape-interval'],
    grafana: !values['no-grafana'],
  });
  const u = stack.urls;
  const grafana = stack.services.includes('grafana')
    ? `Grafana        ${u.grafana}/d/cors-sentinel-overview  (anonymous viewer; admin/admin)`
    : 'Grafana        not started (no grafana binary); the dashboards are in dashboards/, use docker compose up to see them';
  console.log(`
  demo API       ${u.api}          (metrics: ${u.api}/metrics)
  Prometheus     ${u.prometheus}   (alerts: ${u.prometheus}/alerts, rules: ${u.prometheus}/rules)
  Alertmanager   ${u.alertmanager}
  CORS prober    ${u.prober}/probe?target=…&module=demo  (targets in deploy/probe/probe.yml)
  on-call hook   ${u['oncall-webhook']}/received  (alerts it receives are printed below)
  ${grafana}
  logs           ${stack.dir}/logs

Ctrl-C stops everything.`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stack.stop().then(() => console.log('stack stopped')));
  await new Promise<void>((resolve) => {
    onShutdown(() => stop().then(resolve));
    stack.failed.catch(async (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
      await stop();
      resolve();
    });
  });
}
