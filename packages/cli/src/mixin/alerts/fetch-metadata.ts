/**
 * Cross-origin request protection (Fetch Metadata, `<prefix>cross_origin_requests_total`):
 *
 * - CorsCrossSiteRequestsOnCredentialedRoute (warning): unsafe requests from untrusted other sites
 *   reached handlers (report-only, `would_block`) on a route whose CORS policy sends credentials:
 *   the CSRF exposure the protection exists to close. Quiet for a week in report-only = safe to enforce.
 * - CorsCrossOriginBlocksSpiking (critical): after enforcement was switched on, a policy change or a
 *   deploy, requests are blocked at a high rate: a real frontend or integration may be locked out.
 */
import { indent } from '../promql';
import type { AlertContext, AlertModule } from './types';

const METRIC = 'cross_origin_requests_total';

/** The recorded rate the alert and the dashboards share: `job_route_site_decision:cors_cross_origin_requests:rate5m`. */
function crossOriginRate(x: AlertContext): string {
  return x.q.rec(['route', 'site', 'decision'], 'cross_origin_requests', x.q.rateOp);
}

/**
 * A config_info series that was not there one window ago: enforcement switched on, a new policy
 * hash, or a new instance (a deploy). `up` a window ago keeps a fresh Prometheus from calling everything new.
 */
function recentChange(x: AlertContext): string {
  const window = x.c.windows.crossOriginChange;
  const enforcing = x.q.sel('config_info', 'cross_origin_protection="enforce"');
  return [
    `group by (${x.by}) (${enforcing} unless ${enforcing} offset ${window})`,
    `and ${x.on()} group by (${x.by}) (${x.q.up()} offset ${window})`,
  ].join('\n');
}

/**
 * (route, site) pairs whose would_block traffic is a steady, known source: it was there a day ago,
 * and its rate now is within `crossSiteRateChange` times its median rate of the past day (a median, so
 * that a burst does not raise its own baseline). A new source (nothing a day ago) or a jump (a CSRF
 * burst on top of a partner's steady posts) is not.
 */
function steadyKnownSource(x: AlertContext): string {
  const r = `${crossOriginRate(x)}{decision="would_block"}`;
  const w = x.c.windows;
  return [
    `sum without (decision) (max_over_time(${r}[1h] offset 1d)) > 0`,
    `and ${x.on('route', 'site')} sum without (decision) (${r})`,
    `  <= ${x.c.thresholds.crossSiteRateChange} * sum without (decision) (quantile_over_time(0.5, ${r}[1d] offset ${w.event}))`,
  ].join('\n');
}

export const fetchMetadataAlerts: AlertModule = {
  name: 'fetch-metadata',
  recording: (x) => [{ record: crossOriginRate(x), expr: x.q.sumRate(METRIC, [], 'route', 'site', 'decision') }],
  alerts: [
    {
      name: 'CorsCrossSiteRequestsOnCredentialedRoute',
      for: '0s',
      severity: 'warning',
      build: (x) => ({
        expr: [
          `sum by (${x.q.labels('route', 'site')}) (`,
          indent(x.q.newOrIncreased(METRIC, ['decision="would_block"'], ['route', 'site', 'decision'], x.c.windows.event)),
          `)`,
          `and ${x.on('route')} max by (${x.q.labels('route')}) (${x.q.sel('config_info', 'credentials="true"')})`,
          `unless ${x.on('route', 'site')} (`,
          indent(steadyKnownSource(x)),
          `)`,
        ].join('\n'),
        summary: 'Unsafe requests from untrusted other sites reach handlers on a credentialed route (CSRF exposure; not blocked in report-only mode).',
        description: `About {{ $value | printf "%.0f" }} unsafe request(s) from {{ $labels.site }} origins that are not trusted reached route {{ $labels.route }} of ${x.job} within ${x.c.windows.event}; its CORS policy sends credentials, and crossOriginProtection is in report-only mode.`,
      }),
    },
    {
      name: 'CorsCrossOriginBlocksSpiking',
      for: '5m',
      severity: 'critical',
      build: (x) => ({
        expr: [
          `sum by (${x.by}) (${crossOriginRate(x)}{decision="blocked"}) > ${x.c.thresholds.crossOriginBlockedRate}`,
          `and ${x.on()} (\n${indent(recentChange(x))}\n)`,
        ].join('\n'),
        summary: 'Cross-origin request protection blocks many requests right after enforcement, a policy change or a deploy: a real frontend may be locked out.',
        description: `${x.job} blocks {{ $value | printf "%.2f" }} unsafe cross-origin requests/s; enforcement, the policy or an instance changed within the last ${x.c.windows.crossOriginChange}.`,
      }),
    },
  ],
};
