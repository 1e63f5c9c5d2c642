/**
 * The overview's drill-downs for the 3 a.m. questions: which instance is different (near the top,
 * after the headline), and since when is one origin rejected, and why (the `$origin` variable).
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { MixinConfig } from '../config-model';
import type { Layout } from './panels';
import type { DashQueries } from './queries';
import { VARIABLE_MATCHERS } from './queries';

export function instanceSection(b: DashboardBuilder, L: Layout, dq: DashQueries, mixin: MixinConfig): void {
  const t = mixin.thresholds;
  const req = (...m: string[]): string => dq.s('requests_total', ...m);
  const byInstance = (...m: string[]): string => dq.sumRate(req(...m), ['instance']);
  b.withRow(L.row('Per instance'));
  b.withPanel(L.timeseries({
    title: 'Rejected ratio by instance', unit: 'percentunit', runbook: 'CorsAllowedOriginRejectedOnSomeInstances', alertAt: t.originRejectedRatio,
    description: 'Share of each instance\'s cross-origin requests that were rejected. One line far above the others is an instance with a different (broken) policy; compare the policy hashes in the table.',
    queries: [{ expr: dq.ratio(byInstance('outcome="rejected"'), byInstance(), ['instance']), legend: '{{instance}}' }],
  }, 12, 8).max(1));
  b.withPanel(L.table({
    title: 'Instances', unit: 'reqps', runbook: 'CorsPolicyDrift',
    description: 'Per instance: cross-origin requests per second by outcome, with its policy hash. Instances of one job on different hashes for longer than a rollout raise CorsPolicyDrift.',
    queries: [
      { expr: dq.sumRate(req(), ['instance', 'outcome']), instant: true, format: 'table' },
      { expr: `group by (job, instance, policy_hash) (${dq.sNoRoute('config_info')})`, instant: true, format: 'table' },
    ],
  }, 12, 8));
}

export function originSection(b: DashboardBuilder, L: Layout, dq: DashQueries): void {
  const origin = VARIABLE_MATCHERS.origin;
  const req = (...m: string[]): string => dq.s('requests_total', origin, ...m);
  const rate = (m: string, by: string[]): string => dq.sumRate(req(m), by);
  b.withRow(L.row('Origin $origin'));
  b.withPanel(L.timeseries({
    title: 'Requests from $origin by type and outcome', unit: 'reqps', runbook: 'CorsAllowedOriginNowRejected',
    description: 'Requests per second from the origins picked in the origin variable, by origin, request type and outcome: when the rejected line starts is when the origin broke; the blue policy-change annotations show what changed then.',
    queries: [{ expr: dq.sumRate(req(), ['origin', 'request_type', 'outcome']), legend: '{{origin}} {{request_type}} {{outcome}}' }],
  }, 12, 8));
  b.withPanel(L.timeseries({
    title: 'Rejected share of $origin by request type', unit: 'percentunit', runbook: 'CorsAllowedOriginNowRejected',
    description: 'Share of each (origin, request type) rejected: a dropped allowed header fails all preflights while simple requests pass, which a share over all requests hides.',
    queries: [{ expr: dq.ratio(rate('outcome="rejected"', ['origin', 'request_type']), dq.sumRate(req(), ['origin', 'request_type']), ['origin', 'request_type']), legend: '{{origin}} {{request_type}}' }],
  }, 12, 8).max(1));
  b.withPanel(L.timeseries({
    title: 'Why: rejection reasons where $origin is rejected', unit: 'reqps', runbook: 'CorsAllowedOriginNowRejected',
    description: 'Rejections per second by reason on the (route, request type) pairs where the picked origins are being rejected. Violations carry no origin label (bounded series), so other origins on the same route count too; the violation log has the exact origin, method and header.',
    queries: [{
      expr: `${dq.sumRate(dq.s('violations_total'), ['route', 'request_type', 'reason'])}\nand on (route, request_type)\n(${rate('outcome="rejected"', ['route', 'request_type'])} > 0)`,
      legend: '{{route}} {{request_type}} {{reason}}',
    }],
  }, 24, 8));
}
