/**
 * The one config the monitoring mixin is generated from: metric prefix, the selector of our
 * targets, thresholds, windows, `for:` durations, severities and the runbook base URL.
 * Alert names, their default `for:` and severity come from the alert modules (`./alerts`).
 * `resolveMixinConfig()` merges a partial config over the defaults and rejects anything that would
 * produce a broken rule file, so that a user's own selector fails here rather than in Prometheus.
 */

import { ALERT_NAMES } from './alerts/registry';
import { DEFAULT_MIXIN_CONFIG, MIXIN_LABEL, type MixinConfig, type PartialMixinConfig, type Severity } from './config-model';

export * from './config-model';
export { ALERT_NAMES };

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// One matcher: name, operator, a double- or single-quoted value with escapes.
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*`;
const SELECTOR = new RegExp(`^(?:${MATCHER}(?:,${MATCHER})*,?)?\\s*$`);

/** Merges `partial` over the defaults and validates the result; throws one error listing every problem. */
export function resolveMixinConfig(partial: PartialMixinConfig = {}, knownAlerts: readonly string[] = ALERT_NAMES): MixinConfig {
  const d = DEFAULT_MIXIN_CONFIG;
  const config: MixinConfig = {
    prefix: partial.prefix ?? d.prefix,
    selector: (partial.selector ?? d.selector).trim(),
    probeSelector: (partial.probeSelector ?? d.probeSelector).trim(),
    aggregationLabels: partial.aggregationLabels ?? d.aggregationLabels,
    instanceLabel: partial.instanceLabel ?? d.instanceLabel,
    runbookUrl: partial.runbookUrl ?? d.runbookUrl,
    windows: { ...d.windows, ...partial.windows },
    thresholds: { ...d.thresholds, ...partial.thresholds },
    for: { ...d.for, ...(partial.for as Record<string, string> | undefined) },
    severities: { ...d.severities, ...(partial.severities as Record<string, Severity> | undefined) },
    labels: { ...d.labels, ...(partial.labels as Record<string, string> | undefined) },
    alertmanager: { ...d.alertmanager, ...partial.alertmanager },
  };
  const problems = unknownKeys(partial);
  problems.push(...validate(config, knownAlerts));
  if (problems.length > 0) throw new Error(`cors-sentinel mixin: invalid config:\n  - ${problems.join('\n  - ')}`);
  return config;
}

/** Typos (`treshold`) would otherwise be ignored silently and leave a default in place. */
function unknownKeys(partial: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const d = DEFAULT_MIXIN_CONFIG as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in d)) {
      problems.push(`unknown field ${JSON.stringify(key)}`);
      continue;
    }
    const known = d[key];
    if (key === 'labels' || key === 'for' || key === 'severities' || Array.isArray(known) || typeof known !== 'object' || known === null || typeof value !== 'object' || value === null) continue;
    for (const sub of Object.keys(value)) if (!(sub in known)) problems.push(`unknown field ${key}.${sub}`);
  }
  return problems;
}

function validate(c: MixinConfig, knownAlerts: readonly string[]): string[] {
  const problems: string[] = [];
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(c.prefix)) problems.push(`prefix ${JSON.stringify(c.prefix)} is not a valid metric name prefix`);
  if (!SELECTOR.test(c.selector)) problems.push(`selector ${JSON.stringify(c.selector)} must be label matchers without braces, e.g. job="api"`);
  if (!SELECTOR.test(c.probeSelector) || c.probeSelector === '') problems.push(`probeSelector ${JSON.stringify(c.probeSelector)} must be label matchers without braces, e.g. job="cors-probe"`);
  if (c.aggregationLabels.length === 0) problems.push('aggregationLabels must name at least one label (e.g. job)');
  for (const l of c.aggregationLabels) if (!LABEL_NAME.test(l) || l.startsWith('__')) problems.push(`aggregationLabels: ${JSON.stringify(l)} is not a label name`);
  if (!/^https?:\/\/\S+$/.test(c.runbookUrl)) problems.push('runbookUrl must be an http(s) URL');
  for (const [k, v] of Object.entries(c.windows) as [string, unknown][]) if (typeof v !== 'string' || !DURATION.test(v)) problems.push(`windows.${k}: ${JSON.stringify(v)} is not a Prometheus duration`);
  for (const [k, v] of Object.entries(c.thresholds)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`thresholds.${k} must be a finite number ≥ 0`);
  }
  for (const k of ['rejectedRatio', 'originRejectedRatio', 'resolverFailureRatio', 'originLabelUsage', 'preflightLatencyQuantile', 'targetDownRatio', 'undecidedShare', 'partialRejectedRatio', 'storeDownRatio', 'logMalformedShare'] as const) {
    if (c.thresholds[k] > 1) problems.push(`thresholds.${k} is a ratio and must be ≤ 1`);
  }
  if (!LABEL_NAME.test(c.instanceLabel) || c.aggregationLabels.includes(c.instanceLabel)) problems.push(`instanceLabel ${JSON.stringify(c.instanceLabel)} must be a label name that is not an aggregation label`);
  for (const [name, value] of Object.entries(c.for)) if (!DURATION.test(value)) problems.push(`for.${name}: ${JSON.stringify(value)} is not a Prometheus duration`);
  for (const [name, value] of Object.entries(c.severities)) if (!['critical', 'warning', 'info'].includes(value)) problems.push(`severities.${name} must be critical, warning or info`);
  for (const key of [...Object.keys(c.for), ...Object.keys(c.severities)]) {
    if (!knownAlerts.includes(key)) problems.push(`unknown alert ${JSON.stringify(key)}`);
  }
  for (const k of Object.keys(c.labels)) if (!LABEL_NAME.test(k) || k === 'severity' || k === MIXIN_LABEL.name) problems.push(`labels: ${JSON.stringify(k)} is not an allowed label name`);
  for (const k of ['oncallWebhookUrl', 'defaultWebhookUrl'] as const) {
    if (!/^https?:\/\/\S+$/.test(c.alertmanager[k])) problems.push(`alertmanager.${k} must be an http(s) URL`);
  }
  for (const k of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
    if (!DURATION.test(c.alertmanager[k])) problems.push(`alertmanager.${k} is not a duration`);
  }
  return [...new Set(problems)];
}
