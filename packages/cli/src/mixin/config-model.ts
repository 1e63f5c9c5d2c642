/**
 * The shape and defaults of the one config the monitoring mixin is generated from: metric prefix,
 * the selector of our targets, thresholds, windows, `for:` durations, severities and the runbook base
 * URL. It imports nothing, so the alert modules can read it without reaching the registry that
 * `resolveMixinConfig()` (./config) validates alert names against.
 */

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
