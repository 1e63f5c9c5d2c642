/**
 * `cors-sentinel mixin`: write the recording rules, the alert rules and the dashboards for a user's
 * own selector and thresholds — as plain files or as prometheus-operator resources — plus the
 * Alertmanager sub-route on request.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli-args';
import { resolveMixinConfig, type MixinConfig } from './config';
import { ALERTMANAGER_ROUTE_FILE, generateAlertmanagerRoute, generateRepoFiles, generateRules, regenerateCommand } from './generate';
import { BACKENDS, isBackend } from './backends';
import { operatorFiles } from './operator';

const HELP = `usage: cors-sentinel mixin [options]

Writes Prometheus recording and alert rules and Grafana dashboards for cors-sentinel metrics of
your targets:
  <out>/cors-sentinel-rules.yml, <out>/cors-sentinel-alerts.yml (the prober's alerts
  included, for --set probeSelector=...), <out>/dashboards/*.json
  (and <out>/alertmanager-route.yml with --alertmanager)
With --format prometheus-operator: <out>/prometheusrule.yaml, servicemonitor.example.yaml,
podmonitor.example.yaml and grafana-dashboards.yaml (ConfigMaps for the Grafana sidecar).

options:
  --out DIR               output directory (default ./monitoring)
  --selector MATCHERS     label matchers of your targets, without braces (default job="api")
  --prefix PREFIX         metric prefix configured in the middleware (default cors_)
  --runbook-url URL       base URL of the runbook; alert names are appended as anchors
  --config FILE           JSON file with a partial mixin config (every field: docs/alerting.md)
  --set PATH=VALUE        override one field, e.g. --set thresholds.rejectedRatio=0.3
                          --set for.CorsRejectedRatioHigh=5m  (repeatable; applied after --config)
  --backend ENGINE        the ruler that evaluates the rules: prometheus (default), mimir, thanos
                          or vmalert: group sizes, chained recording rules, keep_firing_for and
                          Thanos' partial_response_strategy laid out for it (docs/alerting.md,
                          "Many clusters")
  --format FORMAT         files (default) or prometheus-operator
  --namespace NS          namespace of the prometheus-operator resources (default monitoring)
  --target-namespace NS   namespace of the app the ServiceMonitor/PodMonitor examples scrape (default: --namespace)
  --resource-label K=V    label of every prometheus-operator resource, e.g. release=kube-prometheus-stack
                          (repeatable; a PrometheusRule must match your Prometheus's ruleSelector)
  --no-dashboards         write the rules only
  --alertmanager          also write the Alertmanager sub-route to nest into your config
  --oncall-webhook URL    webhook of critical alerts (with --alertmanager)
  --default-webhook URL   webhook of warnings (with --alertmanager)
  --check                 write nothing; exit 1 if the files on disk differ from the generated ones
  --repo DIR              maintainers: regenerate the committed files of a cors-sentinel checkout

The Grafana SDK that builds the dashboards (@grafana/grafana-foundation-sdk, pinned 0.0.21) is a dependency of @cors-sentinel/cli.

example:
  npx @cors-sentinel/cli mixin --selector 'job="checkout-api"' --set thresholds.rejectedRatio=0.3 --out ./monitoring`;

const SDK = '@grafana/grafana-foundation-sdk';

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: './monitoring' },
      selector: { type: 'string' },
      prefix: { type: 'string' },
      'runbook-url': { type: 'string' },
      config: { type: 'string' },
      set: { type: 'string', multiple: true },
      format: { type: 'string', default: 'files' },
      backend: { type: 'string', default: 'prometheus' },
      namespace: { type: 'string', default: 'monitoring' },
      'target-namespace': { type: 'string' },
      'resource-label': { type: 'string', multiple: true },
      'no-dashboards': { type: 'boolean', default: false },
      alertmanager: { type: 'boolean', default: false },
      'oncall-webhook': { type: 'string' },
      'default-webhook': { type: 'string' },
      repo: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.format !== 'files' && values.format !== 'prometheus-operator') throw new UsageError(`mixin: --format must be files or prometheus-operator, got ${JSON.stringify(values.format)}`);
  const backend = values.backend;
  if (!isBackend(backend)) throw new UsageError(`mixin: --backend must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  if (backend !== 'prometheus' && values.format === 'prometheus-operator') throw new UsageError('mixin: --format prometheus-operator is for Prometheus itself: use --backend prometheus');
  if (backend !== 'prometheus' && values.repo !== undefined) throw new UsageError('mixin: --repo regenerates the committed prometheus layout: leave out --backend');

  let files: Record<string, string>;
  if (values.repo !== undefined) {
    // Every committed generated file: rules, alerts, Alertmanager and Prometheus configs, dashboards and Grafana provisioning.
    files = prefixed(resolve(values.repo), { ...generateRepoFiles(), ...loadDashboardGenerator().generateDashboardRepoFiles() });
  } else {
    const config = configFrom(values);
    const dashboards = values['no-dashboards'] ? {} : loadDashboardGenerator().dashboardsFor(config);
    const out = resolve(values.out);
    const regenerate = regenerateCommand(argv);
    if (values.format === 'prometheus-operator') {
      const labels = Object.fromEntries((values['resource-label'] ?? []).map(keyValue));
      files = prefixed(out, operatorFiles(config, dashboards, { namespace: values.namespace, labels, ...(values['target-namespace'] ? { targetNamespace: values['target-namespace'] } : {}) }, regenerate));
    } else {
      files = { ...prefixed(out, generateRules(config, backend, regenerate)), ...prefixed(join(out, 'dashboards'), dashboards) };
    }
    if (values.alertmanager) files[join(out, ALERTMANAGER_ROUTE_FILE)] = generateAlertmanagerRoute(config, regenerate);
  }
  writeOrCheck(files, values.check);
}

function configFrom(values: { config?: string; set?: string[]; selector?: string; prefix?: string; 'runbook-url'?: string; 'oncall-webhook'?: string; 'default-webhook'?: string }): MixinConfig {
  const partial: Record<string, unknown> = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>) : {};
  for (const assignment of values.set ?? []) applySet(partial, assignment);
  if (values.selector !== undefined) partial.selector = values.selector;
  if (values.prefix !== undefined) partial.prefix = values.prefix;
  if (values['runbook-url'] !== undefined) partial.runbookUrl = values['runbook-url'];
  const am = { ...(partial.alertmanager as object | undefined) } as Record<string, unknown>;
  if (values['oncall-webhook'] !== undefined) am.oncallWebhookUrl = values['oncall-webhook'];
  if (values['default-webhook'] !== undefined) am.defaultWebhookUrl = values['default-webhook'];
  partial.alertmanager = am;
  return resolveMixinConfig(partial);
}

/** The dashboard generator needs the Grafana SDK, a dependency of @cors-sentinel/cli: an installation without it is broken; say how to mend it. */
function loadDashboardGenerator(): typeof import('./dashboards/generate') {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when dashboards are asked for
    return require('./dashboards/generate') as typeof import('./dashboards/generate');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    if (String((err as Error).message).includes(SDK)) {
      throw new Error(`mixin: the dashboards need ${SDK}: it is a dependency of @cors-sentinel/cli: reinstall @cors-sentinel/cli (\`npm install @cors-sentinel/cli\`), or pass --no-dashboards to write the rules only`);
    }
    throw new Error('mixin: this installation has no dashboard generator: pass --no-dashboards, and import the packaged dashboards/*.json (their $job variable adapts them)');
  }
}

function keyValue(assignment: string): [string, string] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`mixin: --resource-label expects KEY=VALUE, got ${JSON.stringify(assignment)}`);
  return [assignment.slice(0, eq), assignment.slice(eq + 1)];
}

function writeOrCheck(files: Record<string, string>, check: boolean | undefined): void {
  if (check) {
    const stale = Object.entries(files).filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
    for (const [path] of stale) console.error(`out of date: ${path}`);
    if (stale.length > 0) process.exitCode = 1;
    else console.log(`${Object.keys(files).length} file(s) up to date`);
    return;
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}

function prefixed(dir: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([name, text]) => [join(dir, name), text]));
}

/** `a.b=value`: numbers stay numbers; everything else is a string. */
export function applySet(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`mixin: --set expects PATH=VALUE, got ${JSON.stringify(assignment)}`);
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  const value: unknown = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new UsageError(`mixin: --set: invalid path ${JSON.stringify(assignment)}`);
    const next = node[key];
    node = (node[key] = typeof next === 'object' && next !== null ? { ...(next) } : {});
  }
  const last = path[path.length - 1] as string;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') throw new UsageError(`mixin: --set: invalid path ${JSON.stringify(assignment)}`);
  node[last] = value;
}
