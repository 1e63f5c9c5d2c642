/**
 * Alert rules for unusual origin patterns. Every alert has a severity, a static summary, a
 * templated description and a runbook anchor (docs/runbook.md has one section per alert).
 * Guards against false pages are part of each expression and explained beside it.
 */
import type { AlertName, MixinConfig } from './config';
import { ALERT_NAMES } from './config';
import { NOT_ONE_ORIGIN, Promql, indent, type AlertingRule, type RuleGroup } from './promql';
import { recordedNames } from './recording';

export const ALERT_GROUP = 'cors-sentinel.alerts';

interface AlertSpec {
  readonly expr: string;
  readonly summary: string;
  readonly description: string;
}

export function alertSpecs(c: MixinConfig): Record<AlertName, AlertSpec> {
  const q = new Promql(c);
  const n = recordedNames(c);
  const t = c.thresholds;
  const w = c.windows;
  const by = q.labels();
  const on = (...extra: string[]) => `on (${q.labels(...extra)})`;
  const job = c.aggregationLabels.map((l) => `{{ $labels.${l} }}`).join('/');
  // An origin (one real origin value) that had allowed requests within the "recently" window.
  const recentlyAllowed = `max_over_time(${n.requestsByOrigin}{outcome="allowed"}[${w.recentlyAllowed}]) > 0`;
  const perOrigin = (matchers: string) => `sum without (outcome) (${n.requestsByOrigin}{${matchers}})`;
  // Prometheus has seen this job's traffic around one `history` ago: no cold-start false positives.
  const hasHistory = `group by (${by}) (present_over_time(${n.requests}[1h] offset ${w.history}))`;

  return {
    CorsAllowedOriginNowRejected: {
      // Ratio per origin, so a frontend that is partly rejected (one method, one header) counts too;
      // "recently allowed" separates a broken frontend from an attacker's origin (CorsRejectedOriginBurst).
      expr: [
        '(',
        `  ${perOrigin(`outcome="rejected", origin!~"${NOT_ONE_ORIGIN}"`)}`,
        `  / ${perOrigin(`origin!~"${NOT_ONE_ORIGIN}"`)}`,
        `) > ${t.originRejectedRatio}`,
        `and ${perOrigin('outcome="rejected"')} > ${t.originRejectedMinRate}`,
        `and ${on('origin')} ${recentlyAllowed}`,
      ].join('\n'),
      summary: 'An origin that was allowed recently is now rejected: a deploy or policy change may have broken a real frontend.',
      description: `{{ $value | humanizePercentage }} of CORS requests from {{ $labels.origin }} to ${job} are rejected now, though it had allowed requests within the last ${w.recentlyAllowed}.`,
    },
    CorsCredentialedAnyOriginPolicy: {
      expr: `max by (${q.labels('route', 'origin_policy')}) (${q.sel('config_info', 'credentials="true"', 'origin_policy=~"any|reflect"')}) > 0`,
      summary: 'A credentialed CORS policy trusts any origin: any website can read authenticated responses.',
      description: `Route {{ $labels.route }} of ${job} sends Access-Control-Allow-Credentials with origin policy "{{ $labels.origin_policy }}".`,
    },
    CorsCredentialedReflectionObserved: {
      expr: `sum by (${q.labels('finding')}) (\n${indent(q.newOrIncreased('response_findings_total', ['finding=~"reflected_origin_with_credentials|wildcard_with_credentials"'], ['finding'], w.event))}\n) > 0`,
      summary: 'Responses grant credentials to any origin (reflected origin or * with credentials).',
      description: `The observer saw {{ $labels.finding }} on ${job} within the last ${w.event} (about {{ $value | printf "%.0f" }} response(s)).`,
    },
    CorsRejectedRatioHigh: {
      expr: `${n.rejectedRatio} > ${t.rejectedRatio}\nand ${n.requests} > ${t.minRequestRate}`,
      summary: 'A high share of cross-origin requests is rejected.',
      description: `{{ $value | humanizePercentage }} of cross-origin requests to ${job} were rejected over the last ${w.rate}.`,
    },
    CorsRejectedRateAnomalous: {
      // z-score against a 1-week baseline; the stddev floor keeps a flat baseline from making every blip
      // anomalous, and the history guard keeps a fresh Prometheus (no baseline yet) quiet.
      expr: [
        `(${n.rejected} - ${n.rejectedAvg})`,
        `/ clamp_min(${n.rejectedStddev}, ${t.anomalyStddevFloor})`,
        `> ${t.anomalyZScore}`,
        `and ${n.rejected} > ${t.anomalyMinRate}`,
        `and ${on()} ${hasHistory}`,
      ].join('\n'),
      summary: 'The rate of rejected CORS requests is anomalous against its 1-week baseline.',
      description: `Rejected CORS requests to ${job} are {{ $value | printf "%.1f" }} standard deviations above their ${w.baseline} average.`,
    },
    CorsUnknownOriginSpike: {
      expr: `sum by (${by}) (${n.requestsByOrigin}{origin="__other__", outcome="rejected"}) > ${t.unknownOriginRate}`,
      summary: 'A spike of rejected requests from unknown origins (folded into __other__).',
      description: `${job} rejects {{ $value | printf "%.2f" }} requests/s from origins beyond the label guard's slots (__other__).`,
    },
    CorsOriginProbing: {
      // The HyperLogLog gauge sees beyond the label cap; where it is absent, count rejected origin
      // labels that are new or increased within the window (a probe sends one request per origin).
      expr: [
        `(max by (${by}) (${q.sel('distinct_rejected_origins', `window="${t.distinctRejectedOriginsWindow}"`)}) > ${t.distinctRejectedOrigins})`,
        'or',
        `(`,
        `  count by (${by}) (group by (${q.labels('origin')}) (`,
        indent(q.newOrIncreased('requests_total', ['outcome="rejected"', `origin!~"${NOT_ONE_ORIGIN}"`], ['route', 'request_type', 'outcome', 'origin'], w.rate), 4),
        `  )) > ${t.distinctRejectedOrigins}`,
        `)`,
      ].join('\n'),
      summary: 'Many distinct origins are rejected: someone may be probing which origins are trusted.',
      description: `About {{ $value }} distinct origins were rejected by ${job} within ${w.rate}.`,
    },
    CorsRejectedOriginBurst: {
      expr: `${perOrigin('outcome="rejected", origin!="__other__"')} > ${t.originBurstRate}\nunless ${on('origin')} ${recentlyAllowed}`,
      summary: 'A burst of rejected requests from a single origin.',
      description: `${job} rejects {{ $value | printf "%.2f" }} requests/s from {{ $labels.origin }}, an origin that was not allowed within ${w.recentlyAllowed}.`,
    },
    CorsNullOriginAllowed: {
      expr: [
        `sum by (${by}) (\n${indent(q.newOrIncreased('requests_total', ['origin="null"', 'outcome="allowed"'], ['route', 'request_type', 'outcome', 'origin'], w.event))}\n)`,
        'or',
        `sum by (${by}) (\n${indent(q.newOrIncreased('response_findings_total', ['finding="null_origin_granted"'], ['finding'], w.event))}\n)`,
      ].join('\n'),
      summary: 'Requests with Origin: null are allowed (sandboxed iframes and local files can forge it).',
      description: `${job} allowed or granted the null origin within the last ${w.event}.`,
    },
    CorsPreflightShareHigh: {
      expr: `${n.preflightShare} > ${t.preflightShare}\nand ${n.allRequests} > ${t.minRequestRate}`,
      summary: 'Preflights are a high share of all traffic: Access-Control-Max-Age is missing or ineffective.',
      description: `{{ $value | humanizePercentage }} of all requests to ${job} are CORS preflights.`,
    },
    CorsPreflightLatencyHigh: {
      expr: `${n.preflightQuantile(t.preflightLatencyQuantile)} > ${t.preflightLatencySeconds}\nand ${on()} sum by (${by}) (${n.requestsByType}{request_type="preflight"}) > ${t.minRequestRate}`,
      summary: 'CORS preflights are slow.',
      description: `The p${t.preflightLatencyQuantile * 100} preflight latency of ${job} is {{ $value | humanizeDuration }}.`,
    },
    CorsOriginResolverFailing: {
      expr: `${n.resolverFailureRatio} > ${t.resolverFailureRatio}\nand ${on()} sum by (${by}) (${n.resolverLookups}{result=~"error|timeout"}) > ${t.resolverFailureMinRate}`,
      summary: 'The async origin resolver is failing or timing out: tenant origins are being rejected.',
      description: `{{ $value | humanizePercentage }} of origin resolver lookups on ${job} fail or time out.`,
    },
    CorsOriginLabelGuardNearCap: {
      expr: `${n.labelUsage} >= ${t.originLabelUsage}`,
      summary: 'The origin label guard is nearly full: new origins will be folded into __other__.',
      description: `An instance of ${job} uses {{ $value | humanizePercentage }} of its origin label slots.`,
    },
    CorsExporterAbsent: {
      expr: `absent(${q.sel('config_info')})`,
      summary: 'No cors-sentinel metrics are scraped: CORS decisions are not observed.',
      description: `Prometheus has scraped no ${q.sel('config_info')} series ({{ $labels.job }}): targets down, gone from discovery, or running without cors-sentinel metrics.`,
    },
    CorsNewOriginObserved: {
      expr: [
        `(`,
        `  group by (${q.labels('origin')}) (${n.requestsByOrigin}{origin!="__other__"})`,
        `  unless ${on('origin')} present_over_time(${n.requestsByOrigin}[${w.recentlyAllowed}] offset ${w.event})`,
        `)`,
        `and ${on()} ${hasHistory}`,
      ].join('\n'),
      summary: 'A new origin sends cross-origin requests.',
      description: `{{ $labels.origin }} sent its first cross-origin requests to ${job} in ${w.recentlyAllowed}.`,
    },
  };
}

export function alertGroups(c: MixinConfig): RuleGroup[] {
  const q = new Promql(c);
  const specs = alertSpecs(c);
  const rules: AlertingRule[] = ALERT_NAMES.map((name) => ({
    alert: name,
    expr: specs[name].expr,
    for: c.for[name],
    labels: { severity: c.severities[name], ...c.labels },
    annotations: { summary: specs[name].summary, description: specs[name].description, runbook_url: q.runbook(name) },
  }));
  return [{ name: ALERT_GROUP, rules }];
}
