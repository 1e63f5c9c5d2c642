/**
 * Configs for the stack that runs the mixin: the Alertmanager on-call route and a Prometheus that
 * scrapes the API and loads the generated rules. The compose stack mounts the committed files; the
 * end-to-end test and a native runner generate loopback variants from the same functions.
 */
import { MIXIN_LABEL, type MixinConfig } from './config-model';

/** Receiver names, also what `amtool config routes test` prints; prefixed so that they never clash with a user's. */
export const RECEIVERS = { oncall: 'cors-sentinel-oncall', default: 'cors-sentinel-default', none: 'cors-sentinel-none' } as const;

/** Matches the mixin's own alerts and nothing else (every alert carries the label). */
export const MIXIN_MATCHER = `${MIXIN_LABEL.name}="${MIXIN_LABEL.value}"`;

/**
 * The part a user nests into an existing Alertmanager routing tree: a sub-route that matches only
 * the mixin's alerts (critical pages, warning notifies, info goes nowhere), its receivers and an
 * inhibit rule. A foreign critical alert never matches it.
 */
export function alertmanagerFragment(c: MixinConfig): { route: Record<string, unknown>; receivers: Array<Record<string, unknown>>; inhibit_rules: Array<Record<string, unknown>> } {
  const am = c.alertmanager;
  return {
    route: {
      matchers: [MIXIN_MATCHER],
      receiver: RECEIVERS.default,
      group_by: [...am.groupBy],
      group_wait: am.groupWait,
      group_interval: am.groupInterval,
      repeat_interval: am.repeatInterval,
      routes: [
        { receiver: RECEIVERS.oncall, matchers: ['severity="critical"'] },
        { receiver: RECEIVERS.default, matchers: ['severity="warning"'] },
        // Info alerts (a new origin) are for dashboards and the alert list, never a notification.
        { receiver: RECEIVERS.none, matchers: ['severity="info"'] },
      ],
    },
    receivers: [
      { name: RECEIVERS.oncall, webhook_configs: [{ url: am.oncallWebhookUrl, send_resolved: true }] },
      { name: RECEIVERS.default, webhook_configs: [{ url: am.defaultWebhookUrl, send_resolved: true }] },
      { name: RECEIVERS.none },
    ],
    inhibit_rules: inhibitRules(c),
  };
}

/**
 * One incident, one notification (per job, or cluster and job). Each entry: the alert that names the
 * root cause, and the alerts it explains. A flood raises probing, the label guard, the unknown-origin
 * spike and the rejected ratio together: probing is the one notification (the spike, when there is no
 * probing). A store outage rejects every tenant origin: CorsOriginStoreDown is the one page. While
 * something is on fire, the informational noise about the same job waits.
 */
export const INHIBITIONS: ReadonlyArray<{ readonly source: string; readonly targets: readonly string[] }> = [
  { source: 'CorsOriginProbing', targets: ['CorsUnknownOriginSpike', 'CorsOriginLabelGuardNearCap', 'CorsRejectedRatioHigh', 'CorsRejectedRateAnomalous', 'CorsRejectedOriginBurst'] },
  { source: 'CorsUnknownOriginSpike', targets: ['CorsOriginLabelGuardNearCap', 'CorsRejectedRatioHigh', 'CorsRejectedRateAnomalous'] },
  {
    source: 'CorsOriginStoreDown',
    targets: [
      'CorsOriginResolverFailing', 'CorsAllowedOriginNowRejected', 'CorsAllowedOriginRejectedOnSomeInstances', 'CorsLowTrafficOriginRejected',
      'CorsRejectedRatioHigh', 'CorsRejectedRateAnomalous', 'CorsPreflightLatencyHigh', 'CorsRejectedOriginBurst',
    ],
  },
];

function inhibitRules(c: MixinConfig): Array<Record<string, unknown>> {
  const equal = [...c.aggregationLabels];
  return [
    ...INHIBITIONS.map((i) => ({
      source_matchers: [MIXIN_MATCHER, `alertname="${i.source}"`],
      target_matchers: [MIXIN_MATCHER, `alertname=~"${i.targets.join('|')}"`],
      equal,
    })),
    { source_matchers: [MIXIN_MATCHER, 'severity=~"critical|warning"'], target_matchers: [MIXIN_MATCHER, 'severity="info"'], equal },
  ];
}

/** A whole Alertmanager config for the demo stack only: the fragment nested under a root that drops everything else. */
export function alertmanagerConfig(c: MixinConfig): Record<string, unknown> {
  const fragment = alertmanagerFragment(c);
  return {
    route: { receiver: RECEIVERS.none, group_by: [...c.alertmanager.groupBy], routes: [fragment.route] },
    inhibit_rules: fragment.inhibit_rules,
    receivers: fragment.receivers,
  };
}

export interface PrometheusConfigOptions {
  /** `host:port` of the API(s) exposing /metrics. */
  readonly targets: readonly string[];
  /** `host:port` of Alertmanager. */
  readonly alertmanagers: readonly string[];
  /** Rule files (globs allowed) as Prometheus will see them. */
  readonly ruleFiles: readonly string[];
  readonly jobName: string;
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
}

export function prometheusConfig(o: PrometheusConfigOptions): Record<string, unknown> {
  return {
    global: { scrape_interval: o.scrapeInterval ?? '15s', evaluation_interval: o.evaluationInterval ?? '15s' },
    rule_files: [...o.ruleFiles],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [...o.alertmanagers] }] }] },
    scrape_configs: [{ job_name: o.jobName, metrics_path: '/metrics', static_configs: [{ targets: [...o.targets] }] }],
  };
}

/** The compose stack's Prometheus: service names from docker-compose.yml, rules mounted from alerts/. */
export const COMPOSE_PROMETHEUS: PrometheusConfigOptions = {
  targets: ['api:3000'],
  alertmanagers: ['alertmanager:9093'],
  ruleFiles: ['/etc/prometheus/rules/*.yml'],
  jobName: 'api',
  scrapeInterval: '5s',
  evaluationInterval: '5s',
};
