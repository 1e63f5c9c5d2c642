/**
 * The one config the monitoring mixin is generated from: metric prefix, the selector of our
 * targets, thresholds, windows, `for:` durations, severities and the runbook base URL.
 * Alert names, their default `for:` and severity come from the alert modules (`./alerts`).
 * `resolveMixinConfig()` merges a partial config over the defaults and rejects anything that would
 * produce a broken rule file, so that a user's own selector fails here rather than in Prometheus.
 */

import { ALERT_NAMES } from './alerts/registry';

export { ALERT_NAMES };

export type Severity = 'critical' | 'warning' | 'info';

export interface MixinWindows {
  /** Range of every `rate()` (and the suffix of recorded names, e.g. `rate5m`). */
  readonly rate: string;
  /** How far back "was allowed recently" looks (critical page: an allowed origin is now rejected). */
  readonly recentlyAllowed: string;
  /**
   * Longer than a pod-by-pod rollout takes. An origin must have been allowed before this long ago to
   * page when it is rejected, so that rolling out a policy that allows a NEW frontend never pages
   * (old pods reject it until they are replaced); the same span is the policy-drift alert's `for:`.
   */
  readonly rollout: string;
  /** Window of the count-based conditions: a low-traffic frontend sends few requests in 5 minutes. */
  readonly lowTraffic: string;
  /** Baseline of the anomaly alert. */
  readonly baseline: string;
  /** Evaluation interval of the baseline recording rules (a week-long `avg_over_time` is not for every evaluation). */
  readonly baselineInterval: string;
  /** History Prometheus must have before the anomaly and new-origin alerts may fire (cold-start guard). */
  readonly history: string;
  /** An origin first seen within this window is "new"; also the window of one-off events (findings). */
  readonly event: string;
  /** Blocks of cross-origin request protection page only this long after enforcement, a policy change or a deploy. */
  readonly crossOriginChange: string;
  /**
   * A group of the aggregation labels (a cluster, a job) that exported metrics within this window and
   * exports none now is absent (CorsExporterAbsent). A group removed on purpose alerts this long.
   */
  readonly presence: string;
  /** The log reader has read no line for this long after steady traffic: it is stalled (CorsLogReaderStalled). */
  readonly logStall: string;
}

export interface MixinThresholds {
  /** Below this many cross-origin requests per second, ratios are noise. */
  readonly minRequestRate: number;
  readonly rejectedRatio: number;
  /** Share of one previously allowed origin's requests of one type (preflight, actual) that are now rejected. */
  readonly originRejectedRatio: number;
  readonly originRejectedMinRate: number;
  /** The same, per instance (an instance sees a share of the traffic). */
  readonly instanceRejectedMinRate: number;
  /** Rejections within `windows.lowTraffic` before a count-based condition may fire (one stray rejection never does). */
  readonly lowTrafficMinRejected: number;
  readonly anomalyZScore: number;
  /** Floor of the baseline standard deviation (requests/s), so a flat baseline does not make every blip "anomalous". */
  readonly anomalyStddevFloor: number;
  readonly anomalyMinRate: number;
  /** Rejected requests/s folded into `__other__`. */
  readonly unknownOriginRate: number;
  /** Distinct rejected origins within 5 minutes (a burst scan). */
  readonly distinctRejectedOrigins: number;
  /** Distinct rejected origins within 1 hour (a slow scan, one origin a minute). */
  readonly distinctRejectedOrigins1h: number;
  /** Rejected requests/s from one origin that was not allowed recently. */
  readonly originBurstRate: number;
  /** CORS preflights per cross-origin actual request (non-CORS traffic does not dilute it). */
  readonly preflightsPerActual: number;
  readonly preflightLatencyQuantile: number;
  readonly preflightLatencySeconds: number;
  readonly resolverFailureRatio: number;
  readonly resolverFailureMinRate: number;
  readonly originLabelUsage: number;
  /** Share of a job's targets that are down or export no cors-sentinel metrics (0: any one instance). */
  readonly targetDownRatio: number;
  /** Requests a report-only candidate would reject (live allowed) within `windows.lowTraffic`. */
  readonly shadowWouldReject: number;
  /** Unsafe cross-origin requests/s blocked by Fetch-Metadata protection (per job) that count as a spike after a change. */
  readonly crossOriginBlockedRate: number;
  /** Requests refused for their Host (`localServer`, DNS rebinding) per instance within `windows.rate` that make a burst. */
  readonly refusedHosts: number;
  /** Failed upstream exchanges/s of the sidecar proxy, per instance and kind, that make a backend failure (a stray reset is far below). */
  readonly proxyUpstreamErrorRate: number;
  /** Cross-origin requests/s answered without a CORS decision (middleware mounted after a router). */
  readonly undecidedRate: number;
  /** Share of cross-origin requests that are undecided while the allowed traffic fell by as much: an allowed frontend lost its CORS headers (page). */
  readonly undecidedShare: number;
  /** Share of one (origin, route, request type) rejected for a header or method before the partial-breakage branch pages: a share that matters to users. */
  readonly partialRejectedRatio: number;
  /** Share of origin resolver lookups failing that means the store behind it is down (CorsOriginStoreDown pages). */
  readonly storeDownRatio: number;
  /** Requests of one origin within `windows.lowTraffic` above which it is not low-traffic: a busy frontend is the page's, not CorsLowTrafficOriginRejected's. */
  readonly lowTrafficMaxRequests: number;
  /** Share of access-log lines that are malformed (a changed log_format) before CorsLogReaderLinesMalformed warns. */
  readonly logMalformedShare: number;
  /** Log lines/s over the hour before a stall that make "steady traffic": a log that quiet may fall silent without a warning. */
  readonly logSteadyLineRate: number;
  /** A known report-only cross-site source alerts again when its would_block rate exceeds this many times its median rate of the past day. */
  readonly crossSiteRateChange: number;
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
  /** Label matchers without braces that select the CORS prober's scrape job (`cors-sentinel probe --serve`, `cors_probe_*`). */
  readonly probeSelector: string;
  /**
   * Labels kept by every aggregation (and the level of recorded names, e.g. `job:`). Put a cluster
   * label first (`['cluster', 'job']`) when one Prometheus sees several clusters; the dashboards get
   * a variable per label.
   */
  readonly aggregationLabels: readonly string[];
  /** The label that tells instances (pods) apart: per-instance rules and alerts name it. */
  readonly instanceLabel: string;
  /** Base of `runbook_url`; the alert name, lower-cased, is appended as the anchor. Point it at your own copy. */
  readonly runbookUrl: string;
  readonly windows: MixinWindows;
  readonly thresholds: MixinThresholds;
  /** `for:` per alert name, over the alert modules' defaults. */
  readonly for: Readonly<Record<string, string>>;
  /** Severity per alert name, over the alert modules' defaults. */
  readonly severities: Readonly<Record<string, Severity>>;
  /** Static labels added to every alert (team, service…). */
  readonly labels: Readonly<Record<string, string>>;
  readonly alertmanager: AlertmanagerSettings;
}

export type PartialMixinConfig = {
  readonly [K in keyof MixinConfig]?: MixinConfig[K] extends readonly unknown[] ? MixinConfig[K] : Partial<MixinConfig[K]> | MixinConfig[K];
};

/** Every alert of the mixin carries this label, so that an Alertmanager sub-route can match exactly them. */
export const MIXIN_LABEL = { name: 'mixin', value: 'cors-sentinel' } as const;

export const DEFAULT_MIXIN_CONFIG: MixinConfig = {
  prefix: 'cors_',
  selector: 'job="api"',
  probeSelector: 'job="cors-probe"',
  aggregationLabels: ['job'],
  instanceLabel: 'instance',
  runbookUrl: 'https://github.com/cors-sentinel/cors-sentinel/blob/main/docs/runbook.md',
  windows: { rate: '5m', recentlyAllowed: '1d', rollout: '1h', lowTraffic: '30m', baseline: '1w', baselineInterval: '5m', history: '1d', event: '15m', crossOriginChange: '1h', presence: '1d', logStall: '15m' },
  thresholds: {
    minRequestRate: 0.1,
    rejectedRatio: 0.2,
    originRejectedRatio: 0.3,
    originRejectedMinRate: 0.05,
    instanceRejectedMinRate: 0.02,
    lowTrafficMinRejected: 5,
    anomalyZScore: 3,
    anomalyStddevFloor: 0.05,
    anomalyMinRate: 0.1,
    unknownOriginRate: 0.5,
    distinctRejectedOrigins: 20,
    distinctRejectedOrigins1h: 30,
    originBurstRate: 1,
    preflightsPerActual: 0.5,
    preflightLatencyQuantile: 0.99,
    preflightLatencySeconds: 0.1,
    resolverFailureRatio: 0.1,
    resolverFailureMinRate: 0.01,
    originLabelUsage: 0.9,
    targetDownRatio: 0,
    shadowWouldReject: 5,
    crossOriginBlockedRate: 0.1,
    refusedHosts: 10,
    proxyUpstreamErrorRate: 0.05,
    undecidedRate: 0.05,
    undecidedShare: 0.3,
    partialRejectedRatio: 0.05,
    storeDownRatio: 0.5,
    lowTrafficMaxRequests: 600,
    logMalformedShare: 0.5,
    logSteadyLineRate: 0.1,
    crossSiteRateChange: 3,
  },
  for: {},
  severities: {},
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
  const problems = unknownKeys(partial as Record<string, unknown>);
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
  for (const [k, v] of Object.entries(c.windows)) if (!DURATION.test(v)) problems.push(`windows.${k}: ${JSON.stringify(v)} is not a Prometheus duration`);
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
