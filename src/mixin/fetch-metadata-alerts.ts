/**
 * Rules for cross-origin request protection (Fetch Metadata, `<prefix>cross_origin_requests_total`):
 * a rule file of their own, with their own recording rule, so that the main rule files stay as they are.
 *
 * - CorsCrossSiteRequestsOnCredentialedRoute (warning): unsafe requests from untrusted other sites
 *   reached handlers (report-only, `would_block`) on a route whose CORS policy sends credentials:
 *   the CSRF exposure the protection exists to close. Quiet for a week in report-only = safe to enforce.
 * - CorsCrossOriginBlocksSpiking (critical): after enforcement was switched on, a policy change or a
 *   deploy, requests are blocked at a high rate: a real frontend or integration may be locked out.
 */
import type { MixinConfig, Severity } from './config';
import { indent, Promql, type AlertingRule, type RecordingRule, type RuleGroup } from './promql';

export const FETCH_METADATA_GROUP = 'cors-sentinel.fetch-metadata';
export const FETCH_METADATA_RULES_FILE = 'cors-sentinel-fetch-metadata.yml';
export const FETCH_METADATA_ALERT_NAMES = ['CorsCrossSiteRequestsOnCredentialedRoute', 'CorsCrossOriginBlocksSpiking'] as const;
export type FetchMetadataAlertName = (typeof FETCH_METADATA_ALERT_NAMES)[number];

export interface FetchMetadataAlertSettings {
  /** Blocked requests per second (per job) that count as a spike. */
  readonly blockedRate: number;
  /** A change (enforcement on, new policy hash, new instance) within this window makes blocks "after a change". */
  readonly changeWindow: string;
  readonly for: Readonly<Record<FetchMetadataAlertName, string>>;
  readonly severities: Readonly<Record<FetchMetadataAlertName, Severity>>;
}

export const DEFAULT_FETCH_METADATA_ALERTS: FetchMetadataAlertSettings = {
  blockedRate: 0.1,
  changeWindow: '1h',
  for: { CorsCrossSiteRequestsOnCredentialedRoute: '0s', CorsCrossOriginBlocksSpiking: '5m' },
  severities: { CorsCrossSiteRequestsOnCredentialedRoute: 'warning', CorsCrossOriginBlocksSpiking: 'critical' },
};

const METRIC = 'cross_origin_requests_total';

/** The recorded rate the alerts and dashboards share: `job_route_site_decision:cors_cross_origin_requests:rate5m`. */
export function crossOriginRecordedName(c: MixinConfig): string {
  return new Promql(c).rec(['route', 'site', 'decision'], 'cross_origin_requests', `rate${c.windows.rate}`);
}

export function fetchMetadataRuleGroups(c: MixinConfig, s: FetchMetadataAlertSettings = DEFAULT_FETCH_METADATA_ALERTS): RuleGroup[] {
  const q = new Promql(c);
  const by = q.labels();
  const on = (...extra: string[]): string => `on (${q.labels(...extra)})`;
  const job = c.aggregationLabels.map((l) => `{{ $labels.${l} }}`).join('/');
  const recorded = crossOriginRecordedName(c);
  const recording: RecordingRule = { record: recorded, expr: q.sumRate(METRIC, [], 'route', 'site', 'decision') };
  // A config_info series that was not there one window ago: enforcement switched on, a new policy
  // hash, or a new instance (a deploy). `up` a window ago keeps a fresh Prometheus from calling everything new.
  const enforcing = q.sel('config_info', 'cross_origin_protection="enforce"');
  const recentChange = [
    `group by (${by}) (${enforcing} unless ${enforcing} offset ${s.changeWindow})`,
    `and ${on()} group by (${by}) (${q.up()} offset ${s.changeWindow})`,
  ].join('\n');

  const specs: Record<FetchMetadataAlertName, { expr: string; summary: string; description: string }> = {
    CorsCrossSiteRequestsOnCredentialedRoute: {
      expr: [
        `sum by (${q.labels('route', 'site')}) (`,
        indent(q.newOrIncreased(METRIC, ['decision="would_block"'], ['route', 'site', 'decision'], c.windows.event)),
        `)`,
        `and ${on('route')} max by (${q.labels('route')}) (${q.sel('config_info', 'credentials="true"')})`,
      ].join('\n'),
      summary: 'Unsafe requests from untrusted other sites reach handlers on a credentialed route (CSRF exposure; not blocked in report-only mode).',
      description: `About {{ $value | printf "%.0f" }} unsafe request(s) from {{ $labels.site }} origins that are not trusted reached route {{ $labels.route }} of ${job} within ${c.windows.event}; its CORS policy sends credentials, and crossOriginProtection is in report-only mode.`,
    },
    CorsCrossOriginBlocksSpiking: {
      expr: [
        `sum by (${by}) (${recorded}{decision="blocked"}) > ${s.blockedRate}`,
        `and ${on()} (\n${indent(recentChange)}\n)`,
      ].join('\n'),
      summary: 'Cross-origin request protection blocks many requests right after enforcement, a policy change or a deploy: a real frontend may be locked out.',
      description: `${job} blocks {{ $value | printf "%.2f" }} unsafe cross-origin requests/s; enforcement, the policy or an instance changed within the last ${s.changeWindow}.`,
    },
  };
  const alerts: AlertingRule[] = FETCH_METADATA_ALERT_NAMES.map((name) => ({
    alert: name,
    expr: specs[name].expr,
    for: s.for[name],
    labels: { severity: s.severities[name], ...c.labels },
    annotations: { summary: specs[name].summary, description: specs[name].description, runbook_url: q.runbook(name) },
  }));
  return [{ name: FETCH_METADATA_GROUP, rules: [recording, ...alerts] }];
}
