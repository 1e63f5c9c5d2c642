/**
 * The overview dashboard's row for cross-origin request protection (Fetch Metadata): what CORS
 * cannot stop (form POSTs, no-cors writes from other sites), counted in report-only and blocked in
 * enforce mode, and each route's mode and bypassed paths.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Layout } from './panels';
import type { DashQueries } from './queries';

export function addFetchMetadataRow(b: DashboardBuilder, L: Layout, dq: DashQueries): void {
  const sel = (...m: string[]): string => dq.s('cross_origin_requests_total', ...m);
  b.withRow(L.row('Cross-origin request protection (Fetch Metadata)'));
  b.withPanel(L.stat({
    title: 'Would block (report-only)', unit: 'reqps', runbook: 'CorsCrossSiteRequestsOnCredentialedRoute',
    description: 'Unsafe requests per second from untrusted other sites that reached handlers because crossOriginProtection is in report-only mode. Zero for a week (with the real traffic of a week) means enforcing is safe.',
    queries: [{ expr: `${dq.sumRate(sel('decision="would_block"'))} or vector(0)`, instant: true }],
  }, 4));
  b.withPanel(L.stat({
    title: 'Blocked', unit: 'reqps', runbook: 'CorsCrossOriginBlocksSpiking',
    description: 'Unsafe cross-origin requests per second answered 403 before any handler ran (enforce mode).',
    queries: [{ expr: `${dq.sumRate(sel('decision="blocked"'))} or vector(0)`, instant: true }],
  }, 4));
  b.withPanel(L.timeseries({
    title: 'Unsafe requests by site and decision', unit: 'reqps',
    description: 'POST, PUT, PATCH, DELETE… per second by where the browser says they come from (Sec-Fetch-Site, or Origin against Host; none = no browser signal or user-initiated) and the decision: allowed, would_block (report-only), blocked (enforce).',
    queries: [{ expr: dq.sumRate(sel(), ['site', 'decision']), legend: '{{site}} {{decision}}' }],
  }, 8, 8, true));
  b.withPanel(L.timeseries({
    title: 'Would block and blocked by route', unit: 'reqps', runbook: 'CorsCrossSiteRequestsOnCredentialedRoute',
    description: 'Untrusted cross-origin unsafe requests per second by route: which handlers other sites post to. The violation log has their origins and paths.',
    queries: [{ expr: dq.sumRate(sel('decision!="allowed"'), ['route', 'decision']), legend: '{{route}} {{decision}}' }],
  }, 8));
  b.withPanel(L.table({
    title: 'Protection mode per route', unit: 'none',
    description: 'crossOriginProtection per instance and route: off, report-only or enforce, and the paths it never judges (bypass). A change here is a policy hash change too.',
    queries: [{ expr: `max by (job, instance, route, cross_origin_protection, cross_origin_bypass) (${dq.s('config_info')})`, instant: true, format: 'table' }],
  }, 24, 6));
}
