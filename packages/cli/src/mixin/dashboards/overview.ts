/**
 * "CORS overview": is cross-origin traffic healthy, who is calling, what is rejected and why, how
 * fast preflights are, what a report-only policy would change, and how the origin resolver behaves.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardInputs } from './config';
import { Layout } from './panels';
import { DashQueries } from './queries';
import { scaffold } from './scaffold';
import { addFetchMetadataRow } from './fetch-metadata-row';
import { instanceSection, originSection } from './drilldown';

export function overviewDashboard(inputs: DashboardInputs): Dashboard {
  const { mixin, dashboards: d } = inputs;
  const dq = new DashQueries(mixin);
  const t = mixin.thresholds;
  const L = new Layout(mixin.runbookUrl);
  const req = (...m: string[]): string => dq.s('requests_total', ...m);
  const all = dq.sumRate(req());
  const rejected = dq.sumRate(req('outcome="rejected"'));
  const buckets = dq.s('preflight_duration_seconds_bucket');
  const resolverCount = (...m: string[]): string => dq.sNoRoute('resolver_duration_seconds_count', ...m);
  const cache = (...m: string[]): string => dq.sNoRoute('resolver_cache_total', ...m);
  const pct = (q: number): string => `p${Math.round(q * 1000) / 10}`;

  const b = scaffold(inputs, d.uids.overview, d.titles.overview, 'Cross-origin traffic judged by cors-sentinel: outcomes, violations, origins, preflights, report-only diff, observer findings and the origin resolver.');

  b.withRow(L.row('Headline'));
  b.withPanel(L.stat({ title: 'Cross-origin requests', unit: 'reqps', description: 'Cross-origin requests per second judged by the CORS policy (preflights and actual requests), allowed or rejected.', queries: [{ expr: all, instant: true }] }));
  b.withPanel(L.stat({
    title: 'Rejected', unit: 'percentunit', runbook: 'CorsRejectedRatioHigh', alertAt: t.rejectedRatio,
    description: `Share of cross-origin requests the policy rejected. The CorsRejectedRatioHigh alert fires above ${t.rejectedRatio * 100} % (with at least ${t.minRequestRate} req/s).`,
    queries: [{ expr: dq.ratio(rejected, all), instant: true }],
  }));
  b.withPanel(L.stat({
    title: 'Preflights per actual request', unit: 'none', runbook: 'CorsPreflightRatioHigh', alertAt: t.preflightsPerActual,
    description: `CORS preflights per cross-origin actual request (non-CORS traffic does not dilute it). A high value means browsers do not cache preflights (max-age missing or too short); the alert fires above ${t.preflightsPerActual}.`,
    queries: [{ expr: dq.ratio(dq.sumRate(req('request_type="preflight"')), dq.sumRate(req('request_type="actual"'))), instant: true }],
  }));
  b.withPanel(L.stat({
    title: `Preflight ${pct(t.preflightLatencyQuantile)}`, unit: 's', runbook: 'CorsPreflightLatencyHigh', alertAt: t.preflightLatencySeconds,
    description: `${pct(t.preflightLatencyQuantile)} time to answer a preflight, origin resolver lookups included. The alert fires above ${t.preflightLatencySeconds} s.`,
    queries: [{ expr: dq.histogramQuantile(t.preflightLatencyQuantile, buckets), instant: true }],
  }));
  b.withPanel(L.stat({
    title: 'Active origins', unit: 'short',
    description: 'Distinct origin label values that sent cross-origin requests in the interval (configured origins, guarded slots, patterns, __other__, null, __invalid__).',
    queries: [{ expr: `count(${dq.sumRate(req(), ['origin'])} > 0) or vector(0)`, instant: true }],
  }));
  b.withPanel(L.stat({
    title: 'Origin guard utilisation', unit: 'percentunit', runbook: 'CorsOriginLabelGuardNearCap', alertAt: t.originLabelUsage,
    description: `Origin label slots in use out of the limit. When full, unknown origins fold into __other__; the alert fires at ${t.originLabelUsage * 100} %.`,
    queries: [{ expr: `max(${dq.sNoRoute('origin_label_values')} / (${dq.sNoRoute('origin_label_limit')} > 0))`, instant: true }],
  }));
  b.withPanel(L.stat({
    title: 'Firing CORS alerts', unit: 'short', alertAt: 1,
    description: 'Warning and critical alerts of the cors-sentinel mixin firing now for the selected jobs (info alerts excluded): see the annotations on the graphs and the runbook.',
    queries: [{ expr: `count(${dq.alertsSelector()}) or vector(0)`, instant: true }],
  }));
  b.withPanel(L.stat({ title: 'Rejected requests', unit: 'reqps', description: 'Rejected cross-origin requests per second (preflights answered 403 and actual requests without CORS headers).', queries: [{ expr: `${rejected} or vector(0)`, instant: true }] }));

  instanceSection(b, L, dq, mixin);

  b.withRow(L.row('Traffic and violations'));
  b.withPanel(L.timeseries({
    title: 'Traffic by outcome and request type', unit: 'reqps',
    description: 'Cross-origin requests per second by request type (preflight, actual) and outcome, stacked, with requests without CORS for scale.',
    queries: [
      { expr: dq.sumRate(req(), ['request_type', 'outcome']), legend: '{{request_type}} {{outcome}}' },
      { expr: dq.sumRate(dq.s('non_cors_requests_total')), legend: 'non-CORS' },
    ],
  }, 12, 8, true));
  b.withPanel(L.timeseries({
    title: 'Violations by reason', unit: 'reqps', runbook: 'CorsRejectedRatioHigh',
    description: 'Rejected requests per second by reason (origin_not_allowed, null_origin, method_not_allowed…); the reasons sum to the rejected requests. Exact origins are in the violation log.',
    queries: [{ expr: dq.sumRate(dq.s('violations_total'), ['reason']), legend: '{{reason}}' }],
  }, 12, 8, true));

  b.withRow(L.row('Origins'));
  b.withPanel(L.barGauge({
    title: 'Top origins', unit: 'reqps',
    description: 'The 10 busiest origin label values, all outcomes. Origins outside the configuration share bounded slots; the rest are __other__.',
    queries: [{ expr: `topk(10, ${dq.sumRate(req(), ['origin'])})`, legend: '{{origin}}', instant: true }],
  }, 8, 9));
  b.withPanel(L.table({
    title: 'Top rejected origins', unit: 'reqps', runbook: 'CorsAllowedOriginNowRejected',
    description: 'The 10 origin label values with the most rejected requests, by route and request type. A configured origin here usually means a deploy broke a real frontend.',
    queries: [{ expr: `topk(10, ${dq.sumRate(req('outcome="rejected"'), ['origin', 'route', 'request_type'])})`, instant: true, format: 'table' }],
  }, 16, 9));
  b.withPanel(L.timeseries({
    title: 'Unknown, null and invalid origins', unit: 'reqps', runbook: 'CorsUnknownOriginSpike',
    description: 'Requests per second from origins folded into __other__ (guard slots full), from Origin: null (sandboxed iframes, file://) and from malformed origins (__invalid__), and the rate of folding itself.',
    queries: [
      { expr: dq.sumRate(req('origin="__other__"'), ['outcome']), legend: '__other__ {{outcome}}' },
      { expr: dq.sumRate(req('origin="null"'), ['outcome']), legend: 'null {{outcome}}' },
      { expr: dq.sumRate(req('origin="__invalid__"'), ['outcome']), legend: '__invalid__ {{outcome}}' },
      { expr: dq.sumRate(dq.sNoRoute('origin_label_overflow_total')), legend: 'folded into __other__' },
    ],
  }));
  b.withPanel(L.timeseries({
    title: 'Distinct rejected origins', unit: 'short', runbook: 'CorsOriginProbing',
    description: `Distinct rejected origins: origin label values with rejections in the interval (capped by the label guard), and the exporter's HyperLogLog estimate, which is not capped, when it exports ${mixin.prefix}distinct_rejected_origins. The probing alert fires above ${t.distinctRejectedOrigins}.`,
    queries: [
      { expr: `count(${dq.sumRate(req('outcome="rejected"'), ['origin'])} > 0)`, legend: 'rejected origin labels' },
      { expr: `max by (window) (${dq.sNoRoute('distinct_rejected_origins')})`, legend: 'estimate, {{window}} window' },
    ],
  }));

  originSection(b, L, dq);

  b.withRow(L.row('Preflights'));
  b.withPanel(L.timeseries({
    title: 'Preflights vs actual requests', unit: 'reqps', runbook: 'CorsPreflightRatioHigh', alertAt: t.preflightsPerActual,
    description: `Preflights and cross-origin actual requests per second, and preflights per actual request (right axis; the alert fires above ${t.preflightsPerActual}). After maxAge is removed, the preflight line climbs to the actual line.`,
    queries: [
      { expr: dq.sumRate(req(), ['request_type']), legend: '{{request_type}}' },
      { expr: dq.ratio(dq.sumRate(req('request_type="preflight"')), dq.sumRate(req('request_type="actual"'))), legend: 'preflights per actual request' },
    ],
  }, 24, 8).overrideByName('preflights per actual request', [{ id: 'unit', value: 'none' }, { id: 'custom.axisPlacement', value: 'right' }]));
  b.withPanel(L.timeseries({
    title: 'Preflight rate', unit: 'reqps', runbook: 'CorsPreflightRatioHigh',
    description: 'Preflights answered per second by route and outcome. Browsers cache allowed preflights for max-age; a steady high rate means they do not.',
    queries: [{ expr: dq.sumRate(dq.s('preflight_duration_seconds_count'), ['route', 'outcome']), legend: '{{route}} {{outcome}}' }],
  }, 8));
  b.withPanel(L.timeseries({
    title: 'Preflight latency', unit: 's', runbook: 'CorsPreflightLatencyHigh',
    description: 'Quantiles of the time to answer a preflight, origin resolver lookups included (estimated from histogram buckets).',
    queries: [0.5, 0.9, 0.99].map((q) => ({ expr: dq.histogramQuantile(q, buckets), legend: pct(q) })),
  }, 8));
  b.withPanel(L.heatmap({
    title: 'Preflight latency distribution', unit: 's',
    description: 'Preflights per second in each latency bucket of the histogram: a second band means a slow path (resolver lookups).',
    queries: [{ expr: dq.sumRate(buckets, ['le']), legend: '{{le}}', format: 'heatmap' }],
  }, 8));

  b.withRow(L.row('Report-only policy and observer'));
  b.withPanel(L.timeseries({
    title: 'Report-only diff', unit: 'reqps',
    description: 'Requests on which the report-only candidate policy disagrees with the live answer: would_reject (live allowed: switching would break these) and would_allow (live rejected). Empty when no candidate policy is configured.',
    queries: [{ expr: dq.sumRate(dq.s('shadow_decisions_total'), ['route', 'change']), legend: '{{route}} {{change}}' }],
  }));
  b.withPanel(L.timeseries({
    title: 'Observer findings', unit: 'reqps', runbook: 'CorsCredentialedReflectionObserved',
    description: 'Problems seen in CORS responses per second by finding: stacked CORS layers, duplicated or null Access-Control-Allow-Origin, missing Vary: Origin, reflection with credentials. Empty when nothing was found.',
    queries: [{ expr: dq.sumRate(dq.sNoRoute('response_findings_total'), ['finding']), legend: '{{finding}}' }],
  }));

  addFetchMetadataRow(b, L, dq);

  b.withRow(L.row('Origin resolver'));
  b.withPanel(L.timeseries({
    title: 'Resolver latency', unit: 's', runbook: 'CorsOriginResolverFailing',
    description: 'Quantiles of async origin resolver lookups (cache misses only), e.g. per-tenant origins from a database.',
    queries: [0.5, 0.99].map((q) => ({ expr: dq.histogramQuantile(q, dq.sNoRoute('resolver_duration_seconds_bucket')), legend: pct(q) })),
  }, 8));
  b.withPanel(L.timeseries({
    title: 'Resolver lookups and errors', unit: 'reqps', runbook: 'CorsOriginResolverFailing',
    description: 'Resolver lookups per second by result (allowed, denied, error, timeout), and the share that failed; errors and timeouts fail closed as resolver_error / resolver_timeout rejections.',
    queries: [
      { expr: dq.sumRate(resolverCount(), ['result']), legend: '{{result}}' },
      { expr: dq.ratio(dq.sumRate(resolverCount('result=~"error|timeout"')), dq.sumRate(resolverCount())), legend: 'failure ratio' },
    ],
  }, 8).overrideByName('failure ratio', [{ id: 'unit', value: 'percentunit' }, { id: 'custom.axisPlacement', value: 'right' }]));
  b.withPanel(L.timeseries({
    title: 'Resolver cache hit ratio', unit: 'percentunit',
    description: 'Share of resolver cache results that were hits (coalesced lookups joined one in flight and count as misses here).',
    queries: [{ expr: dq.ratio(dq.sumRate(cache('result="hit"')), dq.sumRate(cache())), legend: 'hit ratio' }],
  }, 8));
  b.withPanel(L.table({
    title: 'Active policy', unit: 'none', runbook: 'CorsCredentialedAnyOriginPolicy',
    description: 'The policy each instance enforces per route: origin policy, credentials and policy hash (a hash change is a config change).',
    queries: [{ expr: `max by (job, instance, route, origin_policy, credentials, policy_hash) (${dq.s('config_info')})`, instant: true, format: 'table' }],
  }, 24, 7));

  return b.build();
}
