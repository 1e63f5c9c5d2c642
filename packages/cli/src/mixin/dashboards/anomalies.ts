/**
 * "CORS anomalies / security": is the rejected rate unusual for this time of the week, which origins
 * are new, and which route is affected. The baseline panels read the mixin's recording rules, so that
 * they show exactly what the CorsRejectedRateAnomalous alert evaluates.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardInputs } from './config';
import { Layout } from './panels';
import { DashQueries } from './queries';
import { addProbeRow } from './probe-row';
import { scaffold } from './scaffold';

export function anomaliesDashboard(inputs: DashboardInputs): Dashboard {
  const { mixin, dashboards: d } = inputs;
  const dq = new DashQueries(mixin);
  const t = mixin.thresholds;
  const w = mixin.windows;
  const r = dq.recorded;
  const L = new Layout(mixin.runbookUrl);
  const req = (...m: string[]): string => dq.s('requests_total', ...m);
  const rejected = dq.sumRate(req('outcome="rejected"'));
  // The band is recorded per (job, route), so the route filter applies to it as to the line it
  // frames: the mean of a sum is the sum of the means; its deviation is taken as the root of the
  // summed variances (routes treated as independent).
  const route = 'route=~"$route"';
  const recordedRejected = `sum by (job) (${dq.rec(r.rejectedByRoute, route)})`;
  const avg = `sum by (job) (${dq.rec(r.rejectedByRouteAvg, route)})`;
  const stddev = `clamp_min(sqrt(sum by (job) (${dq.rec(r.rejectedByRouteStddev, route)} ^ 2)), ${t.anomalyStddevFloor})`;
  const zscore = `(${recordedRejected} - ${avg})\n/ ${stddev}`;
  // An origin series that exists now but did not `newOriginWindow` ago. Without that much history
  // every origin counts as new, which is what Prometheus can know; the descriptions say so.
  const newOrigins = `sum by (origin) (${req()})\nunless on (origin)\nsum by (origin) (${req()} offset ${d.newOriginWindow})`;
  const baselineNote = `Reads the mixin's recording rules per route (${r.rejectedByRoute}, ${r.rejectedByRouteAvg}, ${r.rejectedByRouteStddev}): the job and route variables apply, the instance variable does not, and the band fills in as ${w.baseline} of history accumulates. The alert itself judges the whole job.`;

  const b = scaffold(inputs, d.uids.anomalies, d.titles.anomalies, `Rejected CORS traffic against its ${w.baseline} baseline, week-over-week, new origins and a per-route drill-down: for spotting a broken frontend or an origin probe.`);

  b.withRow(L.row('Now'));
  b.withPanel(L.stat({
    title: 'Rejected rate z-score', unit: 'none', runbook: 'CorsRejectedRateAnomalous', alertAt: t.anomalyZScore,
    description: `Standard deviations between the rejected rate (${w.rate}) and its ${w.baseline} average (deviation floored at ${t.anomalyStddevFloor} req/s). The anomaly alert fires above ${t.anomalyZScore}. ${baselineNote}`,
    queries: [{ expr: `max(${zscore})`, instant: true }],
  }, 6));
  b.withPanel(L.stat({
    title: 'Rejected requests', unit: 'reqps',
    description: 'Rejected cross-origin requests per second, all selected routes.',
    queries: [{ expr: `${rejected} or vector(0)`, instant: true }],
  }, 6));
  b.withPanel(L.stat({
    title: `New origins (${d.newOriginWindow})`, unit: 'short', runbook: 'CorsNewOriginObserved',
    description: `Origin label values whose series did not exist ${d.newOriginWindow} ago. With less than ${d.newOriginWindow} of Prometheus history every origin counts as new.`,
    queries: [{ expr: `count(${newOrigins}) or vector(0)`, instant: true }],
  }, 6));
  b.withPanel(L.stat({
    title: 'Firing CORS alerts', unit: 'short',
    description: 'Warning and critical alerts of the cors-sentinel mixin firing now for the selected jobs (info alerts excluded).',
    queries: [{ expr: `count(${dq.alertsSelector()}) or vector(0)`, instant: true }],
  }, 6));

  b.withRow(L.row('Baseline'));
  b.withPanel(L.timeseries({
    title: `Rejected rate against its ${w.baseline} baseline`, unit: 'reqps', runbook: 'CorsRejectedRateAnomalous',
    description: `Rejected requests per second (recorded over ${w.rate}) with the ${w.baseline} average and a band of ±${t.anomalyZScore} standard deviations: outside the band for long, the anomaly alert fires. ${baselineNote}`,
    queries: [
      { expr: `sum(${recordedRejected})`, legend: 'rejected' },
      { expr: `sum(${avg})`, legend: `${w.baseline} average` },
      { expr: `sum(${avg} + ${t.anomalyZScore} * ${stddev})`, legend: 'band upper' },
      { expr: `sum(clamp_min(${avg} - ${t.anomalyZScore} * ${stddev}, 0))`, legend: 'band lower' },
    ],
  }, 16).overrideByName('band upper', [{ id: 'custom.fillBelowTo', value: 'band lower' }, { id: 'custom.lineWidth', value: 0 }])
    .overrideByName('band lower', [{ id: 'custom.lineWidth', value: 0 }]));
  b.withPanel(L.timeseries({
    title: 'Rejected rate z-score', unit: 'none', runbook: 'CorsRejectedRateAnomalous', alertAt: t.anomalyZScore,
    description: `Standard deviations above the ${w.baseline} average, per job; the dashed line is the alert threshold (${t.anomalyZScore}). ${baselineNote}`,
    queries: [{ expr: zscore, legend: '{{job}}' }],
  }, 8));
  b.withPanel(L.timeseries({
    title: 'Week over week', unit: 'reqps',
    description: 'Cross-origin and rejected requests per second now and at the same time one week earlier (offset 1w; empty until Prometheus has a week of history).',
    queries: [
      { expr: dq.sumRate(req()), legend: 'all, now' },
      { expr: `sum(rate(${req()}[$__rate_interval] offset 1w))`, legend: 'all, 1 week ago' },
      { expr: rejected, legend: 'rejected, now' },
      { expr: `sum(rate(${req('outcome="rejected"')}[$__rate_interval] offset 1w))`, legend: 'rejected, 1 week ago' },
    ],
  }, 24));

  b.withRow(L.row('New origins'));
  b.withPanel(L.table({
    title: `New origins in the last ${d.newOriginWindow}`, unit: 'short', runbook: 'CorsNewOriginObserved',
    description: `Origin label values first seen within ${d.newOriginWindow}, with their requests in that window by outcome. Allowed ones are new frontends or tenants; rejected ones are probes or misconfigured clients. With less than ${d.newOriginWindow} of history every origin is new.`,
    queries: [{ expr: `sum by (origin, outcome) (increase(${req()}[${d.newOriginWindow}]))\nand on (origin)\n(${newOrigins})`, instant: true, format: 'table' }],
  }, 12));
  b.withPanel(L.timeseries({
    title: 'New origins over time', unit: 'short', runbook: 'CorsNewOriginObserved',
    description: `Number of origin label values that did not exist ${d.newOriginWindow} before each point (same caveat on history).`,
    queries: [{ expr: `count(${newOrigins})`, legend: 'new origins' }],
  }, 12));

  b.withRow(L.row('Per-route drill-down'));
  b.withPanel(L.timeseries({
    title: 'Rejected ratio by route', unit: 'percentunit', runbook: 'CorsRejectedRatioHigh',
    description: 'Share of each route\'s cross-origin requests that were rejected (pick routes with the route variable).',
    queries: [{ expr: dq.ratio(dq.sumRate(req('outcome="rejected"'), ['route']), dq.sumRate(req(), ['route']), ['route']), legend: '{{route}}' }],
  }, 12).max(1));
  b.withPanel(L.timeseries({
    title: 'Requests by route and outcome', unit: 'reqps',
    description: 'Cross-origin requests per second by route and outcome.',
    queries: [{ expr: dq.sumRate(req(), ['route', 'outcome']), legend: '{{route}} {{outcome}}' }],
  }, 12));
  b.withPanel(L.table({
    title: 'Violations by route and reason', unit: 'reqps',
    description: 'Rejected requests per second by route, request type and reason.',
    queries: [{ expr: `sort_desc(${dq.sumRate(dq.s('violations_total'), ['route', 'request_type', 'reason'])})`, instant: true, format: 'table' }],
  }, 12));
  b.withPanel(L.table({
    title: 'Rejected origins by route', unit: 'reqps', runbook: 'CorsAllowedOriginNowRejected',
    description: 'The 20 busiest rejected (route, origin) pairs. A configured origin rejected on one route only usually means that route\'s policy is narrower than the frontend expects.',
    queries: [{ expr: `topk(20, ${dq.sumRate(req('outcome="rejected"'), ['route', 'origin'])})`, instant: true, format: 'table' }],
  }, 12));
  b.withPanel(L.timeseries({
    title: 'Preflight p99 by route', unit: 's', runbook: 'CorsPreflightLatencyHigh',
    description: 'p99 time to answer preflights per route (routes with a resolver are slower on cache misses).',
    queries: [{ expr: dq.histogramQuantile(0.99, dq.s('preflight_duration_seconds_bucket'), ['route']), legend: '{{route}}' }],
  }, 24));

  addProbeRow(b, L, mixin.probeSelector);
  return b.build();
}
