/**
 * The metric contract's vocabulary in one place: metric names (without the prefix), and the label
 * values the runtime, `explain()`, the observer's audit and the alert rules agree on. Text maps are
 * typed by these unions (`Record<Reason, string>`), so that a new value without its explanation is a
 * compile error rather than a blank on a dashboard. docs/metrics.md documents each of them.
 */
import { REASONS, type OriginSource, type Reason } from './engine/decision';

export { REASONS };
export type { Reason, OriginSource };

/** Finding label values (`cors_response_findings_total{finding}`); alert rules match on them. */
export const FINDINGS = [
  'acao_duplicated',
  'missing_vary_origin',
  'wildcard_with_credentials',
  'reflected_origin_with_credentials',
  'null_origin_granted',
  'rejected_preflight_reveals_policy',
] as const;
export type Finding = (typeof FINDINGS)[number];

/** Metric names after the prefix (`cors_` by default). */
export const METRIC_NAMES = {
  requests: 'requests_total',
  violations: 'violations_total',
  preflightDuration: 'preflight_duration_seconds',
  nonCorsRequests: 'non_cors_requests_total',
  originLabelValues: 'origin_label_values',
  originLabelLimit: 'origin_label_limit',
  originLabelOverflow: 'origin_label_overflow_total',
  resolverDuration: 'resolver_duration_seconds',
  resolverCache: 'resolver_cache_total',
  responseFindings: 'response_findings_total',
  shadowDecisions: 'shadow_decisions_total',
  configInfo: 'config_info',
  distinctRejectedOrigins: 'distinct_rejected_origins',
} as const;
export type MetricKey = keyof typeof METRIC_NAMES;

/**
 * Findings enforce mode reports about the response (the observer's are FINDINGS):
 * another layer set Access-Control-Allow-Origin first; the decision arrived after the response was sent.
 */
export const ENFORCE_FINDINGS = ['acao_already_set', 'late_decision'] as const;
export type EnforceFinding = (typeof ENFORCE_FINDINGS)[number];

/**
 * Findings the sidecar proxy reports (enforce mode): the backend sent CORS headers, which the proxy
 * removed and answered from the policy instead.
 */
export const PROXY_FINDINGS = ['backend_cors_headers_replaced'] as const;
export type ProxyFinding = (typeof PROXY_FINDINGS)[number];

/** Every `cors_response_findings_total{finding}` value: the observer's, enforce mode's and the proxy's. */
export type ResponseFinding = Finding | EnforceFinding | ProxyFinding;

/** `cors_shadow_decisions_total{change}`: the report-only candidate would reject what live allowed, or the other way round. */
export const SHADOW_CHANGES = ['would_reject', 'would_allow'] as const;
export type ShadowChange = (typeof SHADOW_CHANGES)[number];
