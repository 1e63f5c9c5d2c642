/**
 * The one config the monitoring mixin is generated from: metric prefix, the selector of our
 * targets, thresholds, windows, `for:` durations, severities and the runbook base URL.
 * `resolveMixinConfig()` merges a partial config over the defaults and rejects anything that would
 * produce a broken rule file, so that a user's own selector fails here rather than in Prometheus.
 */

export type Severity = 'critical' | 'warning' | 'info';

export const ALERT_NAMES = [
  'CorsAllowedOriginNowRejected',
  'CorsCredentialedAnyOriginPolicy',
  'CorsCredentialedReflectionObserved',
  'CorsRejectedRatioHigh',
  'CorsRejectedRateAnomalous',
  'CorsUnknownOriginSpike',
  'CorsOriginProbing',
  'CorsRejectedOriginBurst',
  'CorsNullOriginAllowed',
  'CorsPreflightShareHigh',
  'CorsPreflightLatencyHigh',
  'CorsOriginResolverFailing',
  'CorsOriginLabelGuardNearCap',
  'CorsExporterAbsent',
  'CorsNewOriginObserved',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

export interface MixinWindows {
  /** Range of every `rate()` (and the suffix of recorded names, e.g. `rate5m`). */
  readonly rate: string;
  /** How far back "was allowed recently" looks (critical page: an allowed origin is now rejected). */
  readonly recentlyAllowed: string;
  /** Baseline of the anomaly alert. */
  readonly baseline: string;
  /** History Prometheus must have before the anomaly and new-origin alerts may fire (cold-start guard). */
  readonly history: string;
  /** An origin first seen within this window is "new"; also the window of one-off events (findings). */
  readonly event: string;
}

export interface MixinThresholds {
  /** Below this many cross-origin requests per second, ratios are noise. */
  readonly minRequestRate: number;
  readonly rejectedRatio: number;
  /** Share of one previously allowed origin's requests that are now rejected. */
  readonly originRejectedRatio: number;
  readonly originRejectedMinRate: number;
  readonly anomalyZScore: number;
  /** Floor of the baseline standard deviation (requests/s), so a flat baseline does not make every blip "anomalous". */
  readonly anomalyStddevFloor: number;
  readonly anomalyMinRate: number;
  /** Rejected requests/s folded into `__other__`. */
  readonly unknownOriginRate: number;
  readonly distinctRejectedOrigins: number;
  /** The `window` label of `<prefix>distinct_rejected_origins` the probing alert reads. */
  readonly distinctRejectedOriginsWindow: string;
  /** Rejected requests/s from one origin that was not allowed recently. */
  readonly originBurstRate: number;
  readonly preflightShare: number;
  readonly preflightLatencyQuantile: number;
  readonly preflightLatencySeconds: number;
  readonly resolverFailureRatio: number;
  readonly resolverFailureMinRate: number;
  readonly originLabelUsage: number;
}

export interface AlertmanagerSettings {
  /** Critical alerts (the page). */
  readonly oncallWebhookUrl: string;
  /** Warnings. */
  readonly defaultWebhookUrl: string;
  readonly groupBy: readonly string[];
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
}

export interface MixinConfig {
  /** Metric name prefix of the core (`metrics.prefix`). */
  readonly prefix: string;
  /** Label matchers without braces that select our targets, e.g. `job="api"`; may be empty. */
  readonly selector: string;
  /** Labels kept by every aggregation (and the level of recorded names, e.g. `job:`). */
  readonly aggregationLabels: readonly string[];
  /** Base of `runbook_url`; the alert name, lower-cased, is appended as the anchor. */
  readonly runbookUrl: string;
  readonly windows: MixinWindows;
  readonly thresholds: MixinThresholds;
  readonly for: Readonly<Record<AlertName, string>>;
  readonly severities: Readonly<Record<AlertName, Severity>>;
  /** Static labels added to every alert (team, service…). */
  readonly labels: Readonly<Record<string, string>>;
  readonly alertmanager: AlertmanagerSettings;
}

export type PartialMixinConfig = {
  readonly [K in keyof MixinConfig]?: MixinConfig[K] extends readonly unknown[] ? MixinConfig[K] : Partial<MixinConfig[K]> | MixinConfig[K];
};

export const DEFAULT_MIXIN_CONFIG: MixinConfig = {
  prefix: 'cors_',
  selector: 'job="api"',
  aggregationLabels: ['job'],
  runbookUrl: 'https://github.com/cors-sentinel/cors-sentinel/blob/main/docs/runbook.md',
  windows: { rate: '5m', recentlyAllowed: '1d', baseline: '1w', history: '1d', event: '15m' },
  thresholds: {
    minRequestRate: 0.1,
    rejectedRatio: 0.2,
    originRejectedRatio: 0.5,
    originRejectedMinRate: 0.05,
    anomalyZScore: 3,
    anomalyStddevFloor: 0.05,
    anomalyMinRate: 0.1,
    unknownOriginRate: 0.5,
    distinctRejectedOrigins: 20,
    distinctRejectedOriginsWindow: '5m',
    originBurstRate: 1,
    preflightShare: 0.3,
    preflightLatencyQuantile: 0.99,
    preflightLatencySeconds: 0.1,
    resolverFailureRatio: 0.1,
    resolverFailureMinRate: 0.01,
    originLabelUsage: 0.9,
  },
  for: {
    CorsAllowedOriginNowRejected: '2m',
    CorsCredentialedAnyOriginPolicy: '0s',
    CorsCredentialedReflectionObserved: '0s',
    CorsRejectedRatioHigh: '10m',
    CorsRejectedRateAnomalous: '15m',
    CorsUnknownOriginSpike: '5m',
    CorsOriginProbing: '1m',
    CorsRejectedOriginBurst: '2m',
    CorsNullOriginAllowed: '0s',
    CorsPreflightShareHigh: '15m',
    CorsPreflightLatencyHigh: '10m',
    CorsOriginResolverFailing: '5m',
    CorsOriginLabelGuardNearCap: '15m',
    CorsExporterAbsent: '5m',
    CorsNewOriginObserved: '0s',
  },
  severities: {
    CorsAllowedOriginNowRejected: 'critical',
    CorsCredentialedAnyOriginPolicy: 'critical',
    CorsCredentialedReflectionObserved: 'critical',
    CorsRejectedRatioHigh: 'warning',
    CorsRejectedRateAnomalous: 'warning',
    CorsUnknownOriginSpike: 'warning',
    CorsOriginProbing: 'warning',
    CorsRejectedOriginBurst: 'warning',
    CorsNullOriginAllowed: 'warning',
    CorsPreflightShareHigh: 'warning',
    CorsPreflightLatencyHigh: 'warning',
    CorsOriginResolverFailing: 'warning',
    CorsOriginLabelGuardNearCap: 'warning',
    CorsExporterAbsent: 'warning',
    CorsNewOriginObserved: 'info',
  },
  labels: {},
  alertmanager: {
    oncallWebhookUrl: 'http://oncall-webhook:9099/alerts',
    defaultWebhookUrl: 'http://oncall-webhook:9099/default',
    groupBy: ['alertname', 'job'],
    groupWait: '10s',
    groupInterval: '1m',
    repeatInterval: '4h',
  },
};

const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// One matcher: name, operator, a double- or single-quoted value with escapes.
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*`;
const SELECTOR = new RegExp(`^(?:${MATCHER}(?:,${MATCHER})*,?)?\\s*$`);

/** Merges `partial` over the defaults and validates the result; throws one error listing every problem. */
export function resolveMixinConfig(partial: PartialMixinConfig = {}): MixinConfig {
  const d = DEFAULT_MIXIN_CONFIG;
  const config: MixinConfig = {
    prefix: partial.prefix ?? d.prefix,
    selector: (partial.selector ?? d.selector).trim(),
    aggregationLabels: partial.aggregationLabels ?? d.aggregationLabels,
    runbookUrl: partial.runbookUrl ?? d.runbookUrl,
    windows: { ...d.windows, ...partial.windows },
    thresholds: { ...d.thresholds, ...partial.thresholds },
    for: { ...d.for, ...partial.for },
    severities: { ...d.severities, ...partial.severities },
    labels: { ...d.labels, ...(partial.labels as Record<string, string> | undefined) },
    alertmanager: { ...d.alertmanager, ...partial.alertmanager },
  };
  const problems = unknownKeys(partial as Record<string, unknown>);
  problems.push(...validate(config));
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
    if (key === 'labels' || Array.isArray(known) || typeof known !== 'object' || known === null || typeof value !== 'object' || value === null) continue;
    for (const sub of Object.keys(value)) if (!(sub in known)) problems.push(`unknown field ${key}.${sub}`);
  }
  return problems;
}

function validate(c: MixinConfig): string[] {
  const problems: string[] = [];
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(c.prefix)) problems.push(`prefix ${JSON.stringify(c.prefix)} is not a valid metric name prefix`);
  if (!SELECTOR.test(c.selector)) problems.push(`selector ${JSON.stringify(c.selector)} must be label matchers without braces, e.g. job="api"`);
  if (c.aggregationLabels.length === 0) problems.push('aggregationLabels must name at least one label (e.g. job)');
  for (const l of c.aggregationLabels) if (!LABEL_NAME.test(l) || l.startsWith('__')) problems.push(`aggregationLabels: ${JSON.stringify(l)} is not a label name`);
  if (!/^https?:\/\/\S+$/.test(c.runbookUrl)) problems.push('runbookUrl must be an http(s) URL');
  for (const [k, v] of Object.entries(c.windows)) if (!DURATION.test(v)) problems.push(`windows.${k}: ${JSON.stringify(v)} is not a Prometheus duration`);
  for (const [k, v] of Object.entries(c.thresholds)) {
    if (k === 'distinctRejectedOriginsWindow') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`thresholds.${k} must be a finite number ≥ 0`);
  }
  for (const k of ['rejectedRatio', 'originRejectedRatio', 'preflightShare', 'resolverFailureRatio', 'originLabelUsage', 'preflightLatencyQuantile'] as const) {
    if (c.thresholds[k] > 1) problems.push(`thresholds.${k} is a ratio and must be ≤ 1`);
  }
  if (/["\\]/.test(c.thresholds.distinctRejectedOriginsWindow)) problems.push('thresholds.distinctRejectedOriginsWindow must not contain quotes or backslashes');
  for (const name of ALERT_NAMES) {
    if (!DURATION.test(c.for[name])) problems.push(`for.${name}: ${JSON.stringify(c.for[name])} is not a Prometheus duration`);
    if (!['critical', 'warning', 'info'].includes(c.severities[name])) problems.push(`severities.${name} must be critical, warning or info`);
  }
  for (const key of [...Object.keys(c.for), ...Object.keys(c.severities)]) {
    if (!(ALERT_NAMES as readonly string[]).includes(key)) problems.push(`unknown alert ${JSON.stringify(key)}`);
  }
  for (const k of Object.keys(c.labels)) if (!LABEL_NAME.test(k) || k === 'severity') problems.push(`labels: ${JSON.stringify(k)} is not an allowed label name`);
  for (const k of ['oncallWebhookUrl', 'defaultWebhookUrl'] as const) {
    if (!/^https?:\/\/\S+$/.test(c.alertmanager[k])) problems.push(`alertmanager.${k} must be an http(s) URL`);
  }
  for (const k of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
    if (!DURATION.test(c.alertmanager[k])) problems.push(`alertmanager.${k} is not a duration`);
  }
  return [...new Set(problems)];
}
