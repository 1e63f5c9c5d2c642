/**
 * Someone other than a real frontend: origin scans (fast and slow), bursts from one origin, floods
 * beyond the label guard, and the forgeable `null` origin being allowed.
 */
import { NOT_ONE_ORIGIN, indent } from '../promql';
import { intendedNames } from './intended';
import type { AlertContext, AlertModule } from './types';

/** Distinct rejected origins within `window`, from the HyperLogLog gauge and from the origin labels. */
function distinct(x: AlertContext, window: '5m' | '1h', threshold: number): string {
  const labelled = x.q.newOrIncreased('requests_total', ['outcome="rejected"', `origin!~"${NOT_ONE_ORIGIN}"`], ['route', 'request_type', 'outcome', 'origin'], window);
  return [
    // The gauge sees beyond the label cap; the labels work where the gauge is absent and, with a
    // raised label limit, count every origin themselves.
    `(max by (${x.by}) (${x.q.sel('distinct_rejected_origins', `window="${window}"`)}) > ${threshold})`,
    'or',
    `(`,
    `  count by (${x.by}) (group by (${x.q.labels('origin')}) (`,
    indent(labelled, 4),
    `  )) > ${threshold}`,
    `)`,
  ].join('\n');
}

export const attackAlerts: AlertModule = {
  name: 'attacks',
  alerts: [
    {
      name: 'CorsUnknownOriginSpike',
      for: '5m',
      severity: 'warning',
      build: (x) => ({
        expr: `sum by (${x.by}) (${x.n.requestsByOrigin}{origin="__other__", outcome="rejected"}) > ${x.c.thresholds.unknownOriginRate}`,
        summary: 'A spike of rejected requests from unknown origins (folded into __other__).',
        description: `${x.job} rejects {{ $value | printf "%.2f" }} requests/s from origins beyond the label guard's slots (__other__).`,
      }),
    },
    {
      name: 'CorsOriginProbing',
      for: '1m',
      severity: 'warning',
      // A burst scan leaves both windows at their own pace; without this the alert resolves and
      // fires again as the 5-minute window drains and the hour window takes over.
      keepFiringFor: '15m',
      build: (x) => {
        const t = x.c.thresholds;
        return {
          // 5 minutes catches a burst; the hour catches one new origin a minute, which never fills 5 minutes.
          expr: [distinct(x, '5m', t.distinctRejectedOrigins), 'or', distinct(x, '1h', t.distinctRejectedOrigins1h)].join('\n'),
          summary: 'Many distinct origins are rejected: someone may be probing which origins are trusted.',
          description: `About {{ $value }} distinct origins were rejected by ${x.job} (more than ${t.distinctRejectedOrigins} within 5m or ${t.distinctRejectedOrigins1h} within 1h).`,
        };
      },
    },
    {
      name: 'CorsProbeSignatureInvalid',
      for: '0s',
      severity: 'warning',
      build: (x) => {
        const w = x.c.windows.event;
        return {
          // A scheduled probe runs every few minutes: the event window keeps one failed probe in view
          // until the next. Verified probes never reach the traffic series (docs/prober.md#signed-probes).
          expr: `sum by (${x.q.labels('reason')}) (increase(${x.q.sel('probe_signature_failures_total')}[${w}])) > 0`,
          summary: 'Requests carry a CORS-Sentinel-Probe signature that does not verify: they count as attack traffic.',
          description: `${x.job} received {{ $value | printf "%.0f" }} requests within ${w} whose prober signature is {{ $labels.reason }} (malformed, expired or mismatch): the prober's key or clock differs from the target's, or someone forges probe headers. Their origins count as rejections (CorsOriginProbing may follow).`,
        };
      },
    },
    {
      name: 'CorsRejectedOriginBurst',
      for: '2m',
      severity: 'warning',
      build: (x) => ({
        expr: [
          `sum without (outcome) (${x.n.requestsByOrigin}{outcome="rejected", origin!="__other__"}) > ${x.c.thresholds.originBurstRate}`,
          `unless ${x.on('origin')} max_over_time(${intendedNames(x).byOrigin}[${x.c.windows.recentlyAllowed}]) > 0`,
        ].join('\n'),
        summary: 'A burst of rejected requests from a single origin.',
        description: `${x.job} rejects {{ $value | printf "%.2f" }} requests/s from {{ $labels.origin }}, an origin that was not allowed within ${x.c.windows.recentlyAllowed}.`,
      }),
    },
    {
      name: 'CorsNullOriginAllowed',
      for: '0s',
      severity: 'warning',
      build: (x) => {
        const w = x.c.windows;
        return {
          expr: [
            `sum by (${x.by}) (\n${indent(x.q.newOrIncreased('requests_total', ['origin="null"', 'outcome="allowed"'], ['route', 'request_type', 'outcome', 'origin'], w.event))}\n)`,
            'or',
            `sum by (${x.by}) (\n${indent(x.q.newOrIncreased('response_findings_total', ['finding="null_origin_granted"'], ['finding'], w.event))}\n)`,
          ].join('\n'),
          summary: 'Requests with Origin: null are allowed (sandboxed iframes and local files can forge it).',
          description: `${x.job} allowed or granted the null origin within the last ${w.event}.`,
        };
      },
    },
    {
      name: 'CorsOriginLabelGuardNearCap',
      for: '5m',
      severity: 'warning',
      build: (x) => {
        const i = x.c.instanceLabel;
        return {
          // Pressure, not fill level: slots stay taken, so "nearly full" alone would never resolve.
          // While origins are being folded into __other__ now, it fires; when that stops, it resolves.
          expr: [
            `${x.n.labelUsage} >= ${x.c.thresholds.originLabelUsage}`,
            `and ${x.on(i)} increase(${x.q.sel('origin_label_overflow_total')}[${x.c.windows.event}]) > 0`,
          ].join('\n'),
          summary: 'The origin label guard is full and folding new origins into __other__.',
          description: `Instance ${x.instance} of ${x.job} uses {{ $value | humanizePercentage }} of its origin label slots and folded origins into __other__ within ${x.c.windows.event}.`,
        };
      },
    },
  ],
};
