/**
 * Recording rules: the rates and ratios the alerts and dashboards read, so that every panel and
 * alert agrees on one definition (and queries stay cheap). Names follow `level:metric:operation`.
 */
import type { MixinConfig } from './config';
import { Promql, type RecordingRule, type RuleGroup } from './promql';

export const RECORDING_GROUP = 'cors-sentinel.recording';
export const BASELINE_GROUP = 'cors-sentinel.baseline';

/** Names of the recorded series, shared with the alert rules (and later the dashboards). */
export function recordedNames(c: MixinConfig) {
  const q = new Promql(c);
  const r = q.rateOp;
  return {
    requests: q.rec([], 'requests', r),
    requestsByOutcome: q.rec(['outcome'], 'requests', r),
    requestsByType: q.rec(['request_type', 'outcome'], 'requests', r),
    requestsByRoute: q.rec(['route', 'outcome'], 'requests', r),
    requestsByOrigin: q.rec(['origin', 'outcome'], 'requests', r),
    violationsByReason: q.rec(['reason'], 'violations', r),
    allRequests: q.rec([], 'all_requests', r),
    rejectedRatio: q.rec([], 'requests_rejected', `ratio_${r}`),
    preflightShare: q.rec([], 'preflight', `share_${r}`),
    preflightQuantile: (quantile: number) => q.rec([], 'preflight_duration_seconds', `p${Math.round(quantile * 1000) / 10}_${r}`.replace('.', '_')),
    resolverLookups: q.rec(['result'], 'resolver_lookups', r),
    resolverFailureRatio: q.rec([], 'resolver_failures', `ratio_${r}`),
    resolverCache: q.rec(['result'], 'resolver_cache', r),
    findings: q.rec(['finding'], 'response_findings', r),
    labelUsage: q.rec([], 'origin_label', 'usage_ratio'),
    rejected: q.rec([], 'requests_rejected', r),
    rejectedAvg: q.rec([], 'requests_rejected', `avg_${r}_${c.windows.baseline}`),
    rejectedStddev: q.rec([], 'requests_rejected', `stddev_${r}_${c.windows.baseline}`),
  };
}

/** Quantiles recorded for preflight latency; the alert's quantile is always among them. */
export function preflightQuantiles(c: MixinConfig): number[] {
  return [...new Set([0.5, 0.9, 0.99, c.thresholds.preflightLatencyQuantile])].sort((a, b) => a - b);
}

export function recordingGroups(c: MixinConfig): RuleGroup[] {
  const q = new Promql(c);
  const n = recordedNames(c);
  const w = c.windows.rate;
  const req = 'requests_total';
  const rules: RecordingRule[] = [
    { record: n.requests, expr: q.sumRate(req, []) },
    { record: n.requestsByOutcome, expr: q.sumRate(req, [], 'outcome') },
    { record: n.requestsByType, expr: q.sumRate(req, [], 'request_type', 'outcome') },
    { record: n.requestsByRoute, expr: q.sumRate(req, [], 'route', 'outcome') },
    { record: n.requestsByOrigin, expr: q.sumRate(req, [], 'origin', 'outcome') },
    { record: n.violationsByReason, expr: q.sumRate('violations_total', [], 'reason') },
    {
      // Cross-origin plus non-CORS requests, in one selector so that a missing non-CORS counter is no gap.
      record: n.allRequests,
      expr: `sum by (${q.labels()}) (rate(${q.braces(`__name__=~"${q.metric('requests_total')}|${q.metric('non_cors_requests_total')}"`)}[${w}]))`,
    },
    {
      // `or 0 *`: a job without rejections has a ratio of 0, not no ratio.
      record: n.rejectedRatio,
      expr: `(\n  sum without (outcome) (${n.requestsByOutcome}{outcome="rejected"})\n  or 0 * ${n.requests}\n)\n/ ${n.requests}`,
    },
    {
      record: n.preflightShare,
      expr: `(\n  sum without (request_type, outcome) (${n.requestsByType}{request_type="preflight"})\n  or 0 * ${n.allRequests}\n)\n/ ${n.allRequests}`,
    },
    ...preflightQuantiles(c).map((quantile) => ({
      record: n.preflightQuantile(quantile),
      expr: `histogram_quantile(${quantile}, sum by (${q.labels('le')}) (rate(${q.sel('preflight_duration_seconds_bucket')}[${w}])))`,
    })),
    { record: n.resolverLookups, expr: q.sumRate('resolver_duration_seconds_count', [], 'result') },
    {
      record: n.resolverFailureRatio,
      expr: `(\n  sum by (${q.labels()}) (${n.resolverLookups}{result=~"error|timeout"})\n  or 0 * sum by (${q.labels()}) (${n.resolverLookups})\n)\n/ sum by (${q.labels()}) (${n.resolverLookups})`,
    },
    { record: n.resolverCache, expr: q.sumRate('resolver_cache_total', [], 'result') },
    { record: n.findings, expr: q.sumRate('response_findings_total', [], 'finding') },
    {
      // Per instance (each has its own slots), then the fullest one.
      record: n.labelUsage,
      expr: `max by (${q.labels()}) (\n  ${q.sel('origin_label_values')}\n  / (${q.sel('origin_label_limit')} > 0)\n)`,
    },
  ];

  const rejected = q.sumRate(req, ['outcome="rejected"']);
  const baseline: RecordingRule[] = [
    {
      // A job that never rejects still gets a (zero) series, so its baseline exists when an attack starts.
      record: n.rejected,
      expr: `${rejected}\nor 0 * ${q.sumRate(req, [])}`,
    },
    { record: n.rejectedAvg, expr: `avg_over_time(${n.rejected}[${c.windows.baseline}])` },
    { record: n.rejectedStddev, expr: `stddev_over_time(${n.rejected}[${c.windows.baseline}])` },
  ];
  return [
    { name: RECORDING_GROUP, rules },
    { name: BASELINE_GROUP, rules: baseline },
  ];
}
