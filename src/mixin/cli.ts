/**
 * `cors-sentinel mixin`: regenerate the recording and alert rules (and optionally the Alertmanager
 * route) for a user's own selector and thresholds.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveMixinConfig, type PartialMixinConfig } from './config';
import { ALERTMANAGER_FILE, generateAlertmanager, generateRepoFiles, generateRules } from './generate';

const HELP = `usage: cors-sentinel mixin [options]

Writes Prometheus recording and alert rules for cors-sentinel metrics:
  <out>/cors-sentinel-rules.yml, <out>/cors-sentinel-alerts.yml, <out>/cors-sentinel-fetch-metadata.yml
  (and alertmanager.yml with --alertmanager)

options:
  --out DIR               output directory (default ./monitoring)
  --selector MATCHERS     label matchers of your targets, without braces (default job="api")
  --prefix PREFIX         metric prefix configured in the middleware (default cors_)
  --runbook-url URL       base URL of the runbook; alert names are appended as anchors
  --config FILE           JSON file with a partial mixin config (see src/mixin/config.ts)
  --set PATH=VALUE        override one field, e.g. --set thresholds.rejectedRatio=0.3
                          --set for.CorsRejectedRatioHigh=5m  (repeatable; applied after --config)
  --alertmanager          also write the Alertmanager route (alertmanager.yml)
  --oncall-webhook URL    webhook of critical alerts (with --alertmanager)
  --default-webhook URL   webhook of warnings (with --alertmanager)
  --repo DIR              maintainers: regenerate the committed files of a cors-sentinel checkout
  --check                 write nothing; exit 1 if the files on disk differ from the generated ones

example:
  npx cors-sentinel mixin --selector 'job="checkout-api"' --set thresholds.rejectedRatio=0.3 --out ./monitoring`;

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

  let files: Record<string, string>;
  if (values.repo !== undefined) {
    files = prefixed(resolve(values.repo), generateRepoFiles());
  } else {
    const partial: Record<string, unknown> = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>) : {};
    for (const assignment of values.set ?? []) applySet(partial, assignment);
    if (values.selector !== undefined) partial.selector = values.selector;
    if (values.prefix !== undefined) partial.prefix = values.prefix;
    if (values['runbook-url'] !== undefined) partial.runbookUrl = values['runbook-url'];
    const am = { ...(partial.alertmanager as object | undefined) } as Record<string, unknown>;
    if (values['oncall-webhook'] !== undefined) am.oncallWebhookUrl = values['oncall-webhook'];
    if (values['default-webhook'] !== undefined) am.defaultWebhookUrl = values['default-webhook'];
    partial.alertmanager = am;
    const config = resolveMixinConfig(partial as PartialMixinConfig);
    const out = resolve(values.out);
    files = prefixed(out, generateRules(config));
    if (values.alertmanager) files[join(out, ALERTMANAGER_FILE)] = generateAlertmanager(config);
  }

  if (values.check) {
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
  if (eq <= 0) throw new Error(`mixin: --set expects PATH=VALUE, got ${JSON.stringify(assignment)}`);
  const path = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  const value: unknown = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new Error(`mixin: --set: invalid path ${JSON.stringify(assignment)}`);
    const next = node[key];
    node = (node[key] = typeof next === 'object' && next !== null ? { ...(next as object) } : {}) as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') throw new Error(`mixin: --set: invalid path ${JSON.stringify(assignment)}`);
  node[last] = value;
}
