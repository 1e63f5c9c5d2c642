/**
 * Alert rules for the CORS prober's metrics (`cors-sentinel probe --serve`). A separate rule file,
 * `alerts/cors-sentinel-probe-alerts.yml`: the probe job is not the API job, and its metric names are
 * fixed (`cors_probe_*`), so only the runbook URL and static labels come from the mixin config.
 * Findings are stable between probes, so one probe is enough to page on a credentialed reflection;
 * the softer alerts wait a few probes so that a deploy in progress does not notify.
 */
import type { MixinConfig, Severity } from './config';
import type { AlertingRule, RuleGroup } from './promql';

export const PROBE_ALERTS_FILE = 'cors-sentinel-probe-alerts.yml';
export const PROBE_ALERT_GROUP = 'cors-sentinel.probe-alerts';

export const PROBE_ALERT_NAMES = ['CorsProbeCredentialedOriginReflection', 'CorsProbeFinding', 'CorsProbeFailing'] as const;
export type ProbeAlertName = (typeof PROBE_ALERT_NAMES)[number];

export interface ProbeAlertSettings {
  /** Label matchers (without braces) of the probe scrape job. */
  readonly selector: string;
  /** Lowest finding severity that notifies (CorsProbeFinding). */
  readonly findingSeverities: readonly ('medium' | 'high' | 'low')[];
  readonly for: Readonly<Record<ProbeAlertName, string>>;
  readonly severities: Readonly<Record<ProbeAlertName, Severity>>;
}

export const DEFAULT_PROBE_ALERTS: ProbeAlertSettings = {
  selector: 'job="cors-probe"',
  findingSeverities: ['medium', 'high'],
  for: { CorsProbeCredentialedOriginReflection: '0s', CorsProbeFinding: '15m', CorsProbeFailing: '10m' },
  severities: { CorsProbeCredentialedOriginReflection: 'critical', CorsProbeFinding: 'warning', CorsProbeFailing: 'warning' },
};

function sel(name: string, selector: string, ...extra: string[]): string {
  const matchers = [selector, ...extra].filter((m) => m.trim() !== '');
  return matchers.length > 0 ? `${name}{${matchers.join(', ')}}` : name;
}

export function probeAlertGroups(c: MixinConfig, p: ProbeAlertSettings = DEFAULT_PROBE_ALERTS): RuleGroup[] {
  const reflection = `max by (job, instance) (${sel('cors_probe_credentialed_origin_reflection', p.selector)})`;
  const specs: Record<ProbeAlertName, Omit<AlertingRule['annotations'], 'runbook_url'> & { expr: string }> = {
    CorsProbeCredentialedOriginReflection: {
      expr: `${reflection} == 1`,
      summary: 'A probed endpoint lets an origin it does not own read credentialed responses.',
      description: 'The CORS probe of {{ $labels.instance }} found an attacker-controlled origin granted with Access-Control-Allow-Credentials: any website can read what the user can.',
    },
    CorsProbeFinding: {
      // The credentialed reflection pages on its own; this one covers the rest (subdomain, http, cache poisoning, PNA).
      expr: `max by (job, instance, class, severity) (${sel('cors_probe_findings', p.selector, `severity=~"${p.findingSeverities.join('|')}"`)}) > 0\nunless on (job, instance) (${reflection} == 1)`,
      summary: 'A probed endpoint has a CORS finding of medium severity or worse.',
      description: 'The CORS probe of {{ $labels.instance }} reports {{ $labels.class }} ({{ $labels.severity }}) for several probes in a row.',
    },
    CorsProbeFailing: {
      expr: `max by (job, instance) (${sel('cors_probe_success', p.selector)}) == 0\nor max by (job, instance) (${sel('up', p.selector)}) == 0`,
      summary: 'The CORS prober cannot probe an endpoint: its CORS posture is unknown.',
      description: 'Probes of {{ $labels.instance }} fail (DNS, TLS, connection or timeout: see cors_probe_failure), or the prober itself is down.',
    },
  };
  const rules: AlertingRule[] = PROBE_ALERT_NAMES.map((name) => ({
    alert: name,
    expr: specs[name].expr,
    for: p.for[name],
    labels: { severity: p.severities[name], ...c.labels },
    annotations: { summary: specs[name].summary, description: specs[name].description, runbook_url: `${c.runbookUrl}#${name.toLowerCase()}` },
  }));
  return [{ name: PROBE_ALERT_GROUP, rules }];
}
