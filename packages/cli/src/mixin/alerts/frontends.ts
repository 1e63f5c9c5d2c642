/**
 * A real frontend is broken: an origin that used to be allowed is rejected — on the whole fleet, on
 * some instances, for one request type, or at a few requests a minute. "Used to be allowed" is
 * judged up to `windows.rollout` ago, so that a pod-by-pod rollout of a policy that allows a NEW
 * frontend (old pods reject it until replaced) never pages.
 */
import { NOT_ONE_ORIGIN, indent } from '../promql';
import { intendedNames, intendedRecording } from './intended';
import type { AlertContext, AlertModule } from './types';

/** `(origin, request_type)` allowed at some point within `recentlyAllowed`, before the last rollout window. */
function established(x: AlertContext): string {
  const w = x.c.windows;
  return `max_over_time(${intendedNames(x).byOriginType}[${w.recentlyAllowed}] offset ${w.rollout}) > 0`;
}

/**
 * Instances on which the (origin, request type) is served normally now. When there are some, a
 * rejection confined to the other instances is the per-instance alert's; when there are none, it
 * is the fleet's.
 */
function healthyInstances(x: AlertContext): string {
  const s = x.n.instanceRequestsByOriginType;
  return `count by (${x.q.labels('origin', 'request_type')}) (${rejectedShare(s)} <= ${x.c.thresholds.originRejectedRatio})`;
}

/**
 * (origin, route, request type) of an established origin rejected above the rate floor, on a
 * (route, request type) whose rejections are for a header or a method the policy no longer allows.
 */
function headerOrMethodRejected(x: AlertContext): string {
  const t = x.c.thresholds;
  const s = x.n.requestsByOriginRouteType;
  return [
    // A share that matters to users and an absolute floor: on a busy API, 0.2 odd preflights/s
    // rejected among thousands is a share of 0.05 %, not a broken endpoint.
    `${rejectedShare(s)} > ${t.partialRejectedRatio}`,
    `and sum without (outcome) (${s}{outcome="rejected"}) > ${t.originRejectedMinRate}`,
    `and ${x.on('origin', 'request_type')} ${established(x)}`,
    `and ${x.on('route', 'request_type')} sum without (reason) (${x.n.violationsByRouteTypeReason}{reason=~"header_not_allowed|method_not_allowed"}) > ${t.originRejectedMinRate}`,
  ].join('\n');
}

/** Share of each (origin, request type) that is rejected, from a recorded rate by origin, type and outcome. */
function rejectedShare(series: string): string {
  const all = `sum without (outcome) (${series}{origin!~"${NOT_ONE_ORIGIN}"})`;
  // Zero-filled: an instance that rejects nothing has a share of 0 (a healthy instance), not none.
  return [
    '(',
    `  (sum without (outcome) (${series}{outcome="rejected", origin!~"${NOT_ONE_ORIGIN}"}) or 0 * ${all})`,
    `  / ${all}`,
    ')',
  ].join('\n');
}

export const frontendAlerts: AlertModule = {
  name: 'frontends',
  recording: intendedRecording,
  alerts: [
    {
      name: 'CorsAllowedOriginNowRejected',
      for: '2m',
      severity: 'critical',
      build: (x) => {
        const t = x.c.thresholds;
        const s = x.n.requestsByOriginType;
        const byShare = [
          `${rejectedShare(s)} > ${t.originRejectedRatio}`,
          `and sum without (outcome) (${s}{outcome="rejected"}) > ${t.originRejectedMinRate}`,
          `and ${x.on('origin', 'request_type')} ${established(x)}`,
        ].join('\n');
        return {
          // Per (origin, request type): a dropped header breaks all of a frontend's writes (its
          // preflights) while its reads pass, which a ratio over all its requests dilutes.
          // Second way in: on a route where the frontend's requests fail for a header or a method
          // (not its origin), a smaller share counts (partialRejectedRatio, above the rate floor) —
          // one broken endpoint among many.
          expr: [
            '(',
            indent(byShare),
            `  unless ${x.on('origin', 'request_type')} ${healthyInstances(x)}`,
            ')',
            'or',
            '(',
            indent(headerOrMethodRejected(x)),
            `  unless ${x.on('origin', 'request_type')} (`,
            indent(byShare, 4),
            '  )',
            ')',
          ].join('\n'),
          summary: 'An origin that was allowed is now rejected on the whole fleet: a deploy or policy change may have broken a real frontend.',
          description: `{{ $value | humanizePercentage }} of {{ $labels.request_type }} requests from {{ $labels.origin }} to ${x.job}{{ if $labels.route }} on route {{ $labels.route }} (a header or method it sends is no longer allowed){{ end }} are rejected now (on any instance), though they were allowed within the last ${x.c.windows.recentlyAllowed}.`,
        };
      },
    },
    {
      name: 'CorsAllowedOriginRejectedOnSomeInstances',
      for: '2m',
      severity: 'critical',
      build: (x) => {
        const t = x.c.thresholds;
        const s = x.n.instanceRequestsByOriginType;
        return {
          // "While the others serve it": when no instance serves the origin normally any more, the
          // fleet-wide alert above pages once instead of one page per instance.
          expr: [
            `${rejectedShare(s)} > ${t.originRejectedRatio}`,
            `and sum without (outcome) (${s}{outcome="rejected"}) > ${t.instanceRejectedMinRate}`,
            `and ${x.on('origin', 'request_type')} ${established(x)}`,
            `and ${x.on('origin', 'request_type')} ${healthyInstances(x)}`,
          ].join('\n'),
          summary: 'Some instances reject an origin that the others allow: one instance runs a different (broken) policy.',
          description: `Instance ${x.instance} of ${x.job} rejects {{ $value | humanizePercentage }} of {{ $labels.request_type }} requests from {{ $labels.origin }}, which other instances allow.`,
        };
      },
    },
    {
      name: 'CorsLowTrafficOriginRejected',
      for: '5m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        const w = x.c.windows;
        const count = x.n.requestsByOriginCount;
        const rejected = `sum without (outcome) (${count}{outcome="rejected", origin!~"${NOT_ONE_ORIGIN}"})`;
        return {
          // Counts over `lowTraffic`, not rates over 5m: an admin console at 2 requests a minute never
          // passes a per-second guard, and one stray rejection never reaches the count.
          expr: [
            `${rejected} >= ${t.lowTrafficMinRejected}`,
            `and ${x.on('origin')} (${rejected} / sum without (outcome) (${count}{origin!~"${NOT_ONE_ORIGIN}"})) > 0.5`,
            `and ${x.on('origin')} max_over_time(${intendedNames(x).byOrigin}[${w.recentlyAllowed}]) > 0`,
            // Rejected now, not only within the count's window: a fix resolves it within minutes.
            `and ${x.on('origin')} sum without (outcome) (${x.n.requestsByOrigin}{outcome="rejected"}) > 0`,
            // Upper bound: a busy frontend is CorsAllowedOriginNowRejected's page, not a second, later warning.
            `and ${x.on('origin')} sum without (outcome) (${count}{origin!~"${NOT_ONE_ORIGIN}"}) <= ${t.lowTrafficMaxRequests}`,
          ].join('\n'),
          summary: 'Most requests of a low-traffic origin that was allowed recently are rejected.',
          description: `${x.job} rejected {{ $value | printf "%.0f" }} requests from {{ $labels.origin }} within ${w.lowTraffic}, most of its traffic, though it had allowed requests within the last ${w.recentlyAllowed}.`,
        };
      },
    },
    {
      name: 'CorsRejectedRatioHigh',
      for: '10m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        const count = x.n.requestsByOutcomeCount;
        const rejected = `sum without (outcome) (${count}{outcome="rejected"})`;
        return {
          // Two ways in: the rate over 5 minutes on a busy job, or the count over `lowTraffic` on a
          // quiet one. Both yield the ratio.
          expr: [
            `(${x.n.rejectedRatio} > ${t.rejectedRatio} and ${x.n.requests} > ${t.minRequestRate})`,
            'or',
            `((${rejected} / sum without (outcome) (${count})) > ${t.rejectedRatio} and ${rejected} >= ${t.lowTrafficMinRejected})`,
          ].join('\n'),
          summary: 'A high share of cross-origin requests is rejected.',
          description: `{{ $value | humanizePercentage }} of cross-origin requests to ${x.job} were rejected recently.`,
        };
      },
    },
    {
      name: 'CorsRejectedRateAnomalous',
      for: '15m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        const n = x.n;
        return {
          // z-score against the baseline; the stddev floor keeps a flat baseline from making every blip
          // anomalous, and the history guard keeps a fresh Prometheus (no baseline yet) quiet.
          expr: [
            `(${n.rejected} - ${n.rejectedAvg})`,
            `/ clamp_min(${n.rejectedStddev}, ${t.anomalyStddevFloor})`,
            `> ${t.anomalyZScore}`,
            `and ${n.rejected} > ${t.anomalyMinRate}`,
            `and ${x.on()} ${x.hasHistory}`,
          ].join('\n'),
          summary: 'The rate of rejected CORS requests is anomalous against its 1-week baseline.',
          description: `Rejected CORS requests to ${x.job} are {{ $value | printf "%.1f" }} standard deviations above their ${x.c.windows.baseline} average.`,
        };
      },
    },
    {
      name: 'CorsNewOriginObserved',
      for: '0s',
      severity: 'info',
      build: (x) => {
        const w = x.c.windows;
        return {
          expr: [
            `(`,
            `  group by (${x.q.labels('origin')}) (${x.n.requestsByOrigin}{origin!="__other__"})`,
            `  unless ${x.on('origin')} present_over_time(${x.n.requestsByOrigin}[${w.recentlyAllowed}] offset ${w.event})`,
            `)`,
            `and ${x.on()} ${x.hasHistory}`,
          ].join('\n'),
          summary: 'A new origin sends cross-origin requests.',
          description: `{{ $labels.origin }} sent its first cross-origin requests to ${x.job} in ${w.recentlyAllowed}.`,
        };
      },
    },
  ],
};
