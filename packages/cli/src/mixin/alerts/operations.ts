/** Running the middleware: preflight cost and latency, the origin resolver, and whether we see the targets at all. */
import type { AlertContext, AlertModule } from './types';

/**
 * One series per group of the aggregation labels (a cluster, a job) exporting cors-sentinel metrics
 * now: CorsExporterAbsent looks a day back over these few series, not over every instance's raw ones.
 */
function exporting(x: AlertContext): string {
  return x.q.rec([], 'config_info', 'group');
}

/** Most resolver lookups fail: the store behind the resolver (tenant database, cache) is down, not a frontend. */
function resolverDown(x: AlertContext): string {
  const t = x.c.thresholds;
  return `${x.n.resolverFailureRatio} > ${t.storeDownRatio}\nand ${x.on()} sum by (${x.by}) (${x.n.resolverLookups}{result=~"error|timeout"}) > ${t.resolverFailureMinRate}`;
}

/**
 * The same, per store (`cors_origin_store_lookups_total{store}`), so that the page names the store that
 * is down; from exporters without that series (older versions), the resolver-wide condition alone.
 */
function storeDown(x: AlertContext): string {
  const t = x.c.thresholds;
  const failing = x.q.sumRate('origin_store_lookups_total', ['result=~"error|timeout"'], 'store');
  const all = x.q.sumRate('origin_store_lookups_total', [], 'store');
  return [
    `(`,
    `  ${failing} / ${all} > ${t.storeDownRatio}`,
    `  and ${failing} > ${t.resolverFailureMinRate}`,
    `)`,
    `or (`,
    `  ${resolverDown(x).replace(/\n/g, '\n  ')}`,
    `  unless ${x.on()} group by (${x.by}) (${x.q.sel('origin_store_lookups_total')})`,
    `)`,
  ].join('\n');
}

export const operationAlerts: AlertModule = {
  name: 'operations',
  recording: (x) => [{ record: exporting(x), expr: `group by (${x.by}) (${x.q.sel('config_info')})` }],
  alerts: [
    {
      name: 'CorsPreflightRatioHigh',
      for: '15m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        return {
          expr: `${x.n.preflightsPerActual} > ${t.preflightsPerActual}\nand ${x.on()} sum without (request_type, outcome) (${x.n.requestsByType}{request_type="preflight"}) > ${t.minRequestRate}`,
          summary: 'Many preflights per cross-origin request: Access-Control-Max-Age is missing or ineffective.',
          description: `${x.job} answers {{ $value | printf "%.2f" }} CORS preflights per cross-origin actual request.`,
        };
      },
    },
    {
      name: 'CorsPreflightLatencyHigh',
      for: '10m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        return {
          expr: `${x.n.preflightQuantile}{quantile="${t.preflightLatencyQuantile}"} > ${t.preflightLatencySeconds}\nand ${x.on()} sum by (${x.by}) (${x.n.requestsByType}{request_type="preflight"}) > ${t.minRequestRate}`,
          summary: 'CORS preflights are slow.',
          description: `The p${t.preflightLatencyQuantile * 100} preflight latency of ${x.job} is {{ $value | humanizeDuration }}.`,
        };
      },
    },
    {
      name: 'CorsOriginResolverFailing',
      for: '5m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        return {
          // A store outage pages as CorsOriginStoreDown instead: one notification for one root cause.
          expr: `${x.n.resolverFailureRatio} > ${t.resolverFailureRatio}\nand ${x.on()} sum by (${x.by}) (${x.n.resolverLookups}{result=~"error|timeout"}) > ${t.resolverFailureMinRate}\nunless ${x.on()} (${storeDown(x)})`,
          summary: 'The async origin resolver is failing or timing out: tenant origins are being rejected.',
          description: `{{ $value | humanizePercentage }} of origin resolver lookups on ${x.job} fail or time out.`,
        };
      },
    },
    {
      name: 'CorsOriginStoreDown',
      for: '2m',
      severity: 'critical',
      build: (x) => ({
        expr: storeDown(x),
        summary: 'The origin store behind the async resolver is down: every origin it approves (tenants) is rejected.',
        description: `{{ $value | humanizePercentage }} of the origin lookups of {{ with $labels.store }}store {{ . }}{{ else }}the resolver{{ end }} on ${x.job} fail or time out: that origin store (tenant database or cache: cors_origin_store_lookups_total{result=~"error|timeout"}) is unreachable; the rejections of tenant origins that follow are this outage.`,
      }),
    },
    {
      name: 'CorsTargetDown',
      for: '10m',
      severity: 'warning',
      build: (x) => {
        const i = x.c.instanceLabel;
        const up = x.q.up();
        // Down, or scraped but without our metrics (a deploy that dropped the middleware or /metrics).
        const bad = `(${up} == 0 or (${up} unless ${x.on(i)} ${x.q.sel('config_info')}))`;
        return {
          // One series per bad instance (it names the instance), valued with the job's down ratio.
          expr: [
            `group by (${x.q.labels(i)}) ${bad}`,
            `* ${x.on()} group_left ()`,
            `(count by (${x.by}) ${bad} / count by (${x.by}) (${up}))`,
            `> ${x.c.thresholds.targetDownRatio}`,
          ].join('\n'),
          summary: 'Targets are down or export no cors-sentinel metrics: their CORS decisions are not observed.',
          description: `Instance ${x.instance} of ${x.job} is down or has no cors-sentinel metrics; {{ $value | humanizePercentage }} of the job's targets are affected.`,
        };
      },
    },
    {
      name: 'CorsExporterAbsent',
      for: '5m',
      severity: 'warning',
      build: (x) => {
        const info = x.q.sel('config_info');
        const seen = `present_over_time(${exporting(x)}[${x.c.windows.presence}])`;
        const first = x.c.aggregationLabels[0] as string;
        return {
          // Per group (cluster, job): one cluster that stops sending is found against the groups seen
          // recently; absent() alone fires only when every cluster has lost the series, as a central
          // ruler sees them all. absent() still covers a selector that never matched anything.
          expr: [
            `group by (${x.by}) (${seen})`,
            `unless ${x.on()} ${info}`,
            `or (absent(${info}) unless on () ${seen})`,
          ].join('\n'),
          summary: 'No cors-sentinel metrics are scraped: CORS decisions are not observed.',
          description: `No ${info} series{{ if $labels.${first} }} from ${x.job}{{ end }} reach the rules: every target is down, gone from discovery or running without cors-sentinel metrics, or its cluster stopped remote-writing.`,
        };
      },
    },
  ],
};
