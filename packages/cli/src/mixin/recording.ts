/**
 * Recording rules: the rates and ratios the alerts and dashboards read, so that every panel and
 * alert agrees on one definition (and queries stay cheap). Names follow `level:metric:operations`:
 * the level lists the labels kept, the metric is a real metric of the contract (without `_total`),
 * quantiles are a `quantile` label. The week-long baseline lives in its own group with its own,
 * slower evaluation interval.
 */
import type { MixinConfig } from './config-model';
import { Promql, type RecordingRule, type RuleGroup } from './promql';

export const RECORDING_GROUP = 'cors-sentinel.recording';
export const BASELINE_GROUP = 'cors-sentinel.baseline';

/** Names of the recorded series, shared with the alert rules and the dashboards. */
export function recordedNames(c: MixinConfig) {
  const q = new Promql(c);
  const r = q.rateOp;
  const i = c.instanceLabel;
  const low = `increase${c.windows.lowTraffic}`;
  return {
    requests: q.rec([], 'requests', r),
    requestsByOutcome: q.rec(['outcome'], 'requests', r),
    requestsByType: q.rec(['request_type', 'outcome'], 'requests', r),
    requestsByRoute: q.rec(['route', 'outcome'], 'requests', r),
    requestsByOrigin: q.rec(['origin', 'outcome'], 'requests', r),
    requestsByOriginType: q.rec(['origin', 'request_type', 'outcome'], 'requests', r),
    requestsByOriginRouteType: q.rec(['origin', 'route', 'request_type', 'outcome'], 'requests', r),
    violationsByRouteTypeReason: q.rec(['route', 'request_type', 'reason'], 'violations', r),
    instanceRequestsByOriginType: q.rec([i, 'origin', 'request_type', 'outcome'], 'requests', r),
    instanceRequestsByOutcome: q.rec([i, 'outcome'], 'requests', r),
    requestsByOutcomeCount: q.rec(['outcome'], 'requests', low),
    requestsByOriginCount: q.rec(['origin', 'outcome'], 'requests', low),
    violationsByReason: q.rec(['reason'], 'violations', r),
    nonCorsRequests: q.rec([], 'non_cors_requests', r),
    rejectedRatio: q.rec([], 'requests_rejected', `ratio_${r}`),
    preflightsPerActual: q.rec([], 'requests_preflight_per_actual', `ratio_${r}`),
    preflightQuantile: q.rec(['quantile'], 'preflight_duration_seconds', `histogram_quantile_${r}`),
    resolverLookups: q.rec(['result'], 'resolver_lookups', r),
    resolverFailureRatio: q.rec([], 'resolver_failures', `ratio_${r}`),
    resolverCache: q.rec(['result'], 'resolver_cache', r),
    findings: q.rec(['finding'], 'response_findings', r),
    labelUsage: q.rec([i], 'origin_label_values', 'ratio_limit'),
    rejected: q.rec([], 'requests_rejected', r),
    rejectedAvg: q.rec([], 'requests_rejected', `avg_${r}_${c.windows.baseline}`),
    rejectedStddev: q.rec([], 'requests_rejected', `stddev_${r}_${c.windows.baseline}`),
    // Per route, for the dashboards' band: a route filter compares like with like.
    rejectedByRoute: q.rec(['route'], 'requests_rejected', r),
    rejectedByRouteAvg: q.rec(['route'], 'requests_rejected', `avg_${r}_${c.windows.baseline}`),
    rejectedByRouteStddev: q.rec(['route'], 'requests_rejected', `stddev_${r}_${c.windows.baseline}`),
  };
}

/** Quantiles recorded for preflight latency; the alert's quantile is always among them. */
export function preflightQuantiles(c: MixinConfig): number[] {
  return [...new Set([0.5, 0.9, 0.99, c.thresholds.preflightLatencyQuantile])].sort((a, b) => a - b);
}

/** `num / den`, where a numerator without series counts as 0 (no rejections is a ratio of 0, not no ratio). */
function zeroFilledRatio(num: string, den: string): string {
  return `(\n  ${num}\n  or 0 * ${den}\n)\n/ ${den}`;
}

export function recordingGroups(c: MixinConfig): RuleGroup[] {
  const q = new Promql(c);
  const n = recordedNames(c);
  const w = c.windows.rate;
  const i = c.instanceLabel;
  const req = 'requests_total';
  const countOf = (...by: string[]) => `sum by (${q.labels(...by)}) (increase(${q.sel(req)}[${c.windows.lowTraffic}]))`;
  const rules: RecordingRule[] = [
    { record: n.requests, expr: q.sumRate(req, []) },
    { record: n.requestsByOutcome, expr: q.sumRate(req, [], 'outcome') },
    { record: n.requestsByType, expr: q.sumRate(req, [], 'request_type', 'outcome') },
    { record: n.requestsByRoute, expr: q.sumRate(req, [], 'route', 'outcome') },
    { record: n.requestsByOrigin, expr: q.sumRate(req, [], 'origin', 'outcome') },
    { record: n.requestsByOriginType, expr: q.sumRate(req, [], 'origin', 'request_type', 'outcome') },
    // Violations carry no origin (bounded series); joined on (route, request type) they say why an origin is rejected.
    { record: n.requestsByOriginRouteType, expr: q.sumRate(req, [], 'origin', 'route', 'request_type', 'outcome') },
    { record: n.violationsByRouteTypeReason, expr: q.sumRate('violations_total', [], 'route', 'request_type', 'reason') },
    // Per instance: one misconfigured pod among healthy ones is invisible in the job's sums.
    { record: n.instanceRequestsByOriginType, expr: q.sumRate(req, [], i, 'origin', 'request_type', 'outcome') },
    { record: n.instanceRequestsByOutcome, expr: q.sumRate(req, [], i, 'outcome') },
    // Counts over a longer window: a frontend at a few requests a minute never passes a rate guard.
    { record: n.requestsByOutcomeCount, expr: countOf('outcome') },
    { record: n.requestsByOriginCount, expr: countOf('origin', 'outcome') },
    { record: n.violationsByReason, expr: q.sumRate('violations_total', [], 'reason') },
    { record: n.nonCorsRequests, expr: q.sumRate('non_cors_requests_total', []) },
    {
      record: n.rejectedRatio,
      expr: zeroFilledRatio(`sum without (outcome) (${n.requestsByOutcome}{outcome="rejected"})`, n.requests),
    },
    {
      // Per cross-origin actual request, not per all traffic: an API whose traffic is mostly non-CORS
      // would otherwise hide a preflight storm.
      record: n.preflightsPerActual,
      expr: `sum without (request_type, outcome) (${n.requestsByType}{request_type="preflight"})\n/ sum without (request_type, outcome) (${n.requestsByType}{request_type="actual"})`,
    },
    ...preflightQuantiles(c).map((quantile) => ({
      record: n.preflightQuantile,
      expr: `histogram_quantile(${quantile}, sum by (${q.labels('le')}) (rate(${q.sel('preflight_duration_seconds_bucket')}[${w}])))`,
      labels: { quantile: String(quantile) },
    })),
    { record: n.resolverLookups, expr: q.sumRate('resolver_duration_seconds_count', [], 'result') },
    {
      record: n.resolverFailureRatio,
      expr: zeroFilledRatio(`sum by (${q.labels()}) (${n.resolverLookups}{result=~"error|timeout"})`, `sum by (${q.labels()}) (${n.resolverLookups})`),
    },
    { record: n.resolverCache, expr: q.sumRate('resolver_cache_total', [], 'result') },
    { record: n.findings, expr: q.sumRate('response_findings_total', [], 'finding') },
    {
      // Per instance: each has its own slots.
      record: n.labelUsage,
      expr: `max by (${q.labels(i)}) (\n  ${q.sel('origin_label_values')}\n  / (${q.sel('origin_label_limit')} > 0)\n)`,
    },
  ];

  const baseline: RecordingRule[] = [
    {
      // A job that never rejects still gets a (zero) series, so its baseline exists when an attack starts.
      record: n.rejected,
      expr: `${q.sumRate(req, ['outcome="rejected"'])}\nor 0 * ${q.sumRate(req, [])}`,
    },
    { record: n.rejectedAvg, expr: `avg_over_time(${n.rejected}[${c.windows.baseline}])` },
    { record: n.rejectedStddev, expr: `stddev_over_time(${n.rejected}[${c.windows.baseline}])` },
    { record: n.rejectedByRoute, expr: `${q.sumRate(req, ['outcome="rejected"'], 'route')}\nor 0 * ${q.sumRate(req, [], 'route')}` },
    { record: n.rejectedByRouteAvg, expr: `avg_over_time(${n.rejectedByRoute}[${c.windows.baseline}])` },
    { record: n.rejectedByRouteStddev, expr: `stddev_over_time(${n.rejectedByRoute}[${c.windows.baseline}])` },
  ];
  return [
    { name: RECORDING_GROUP, rules },
    { name: BASELINE_GROUP, interval: c.windows.baselineInterval, rules: baseline },
  ];
}
