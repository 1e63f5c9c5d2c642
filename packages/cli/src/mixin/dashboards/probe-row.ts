/**
 * The "Probed endpoints" row: what the CORS prober (`cors-sentinel probe --serve`) reports about
 * endpoints seen from outside. Its series come from the probe job (the mixin config's probeSelector), not
 * from the API job, so the job/instance/route variables do not apply; `instance` is the probed URL.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Layout } from './panels';

export function addProbeRow(b: DashboardBuilder, L: Layout, selector: string): void {
  const s = (name: string): string => `${name}{${selector}}`;
  const note = `Series of the probe scrape job (${selector}); the dashboard variables do not apply, and instance is the probed URL.`;
  b.withRow(L.row('Probed endpoints'));
  b.withPanel(L.stat({
    title: 'Endpoints readable with credentials', unit: 'short', runbook: 'CorsProbeCredentialedOriginReflection', alertAt: 1,
    description: `Probed endpoints that grant an origin they do not own with credentials: any website can read what the user can. ${note}`,
    queries: [{ expr: `count(${s('cors_probe_credentialed_origin_reflection')} == 1) or vector(0)`, instant: true }],
  }, 6));
  b.withPanel(L.stat({
    title: 'Failing probes', unit: 'short', runbook: 'CorsProbeFailing', alertAt: 1,
    description: `Probed endpoints whose last probe failed (DNS, TLS, connection, timeout): their CORS posture is unknown. ${note}`,
    queries: [{ expr: `count(${s('cors_probe_success')} == 0) or vector(0)`, instant: true }],
  }, 6));
  b.withPanel(L.table({
    title: 'Probe findings', unit: 'short', runbook: 'CorsProbeFinding',
    description: `Every finding of the last probe of each endpoint, by class and severity (high: credentialed reads from an attacker's page; info: public data). ${note}`,
    queries: [{ expr: `max by (instance, class, severity) (${s('cors_probe_findings')})`, instant: true, format: 'table' }],
  }, 12, 8));
  b.withPanel(L.timeseries({
    title: 'Probe findings by severity', unit: 'short', runbook: 'CorsProbeFinding',
    description: `Findings over time across all probed endpoints, by severity: a step up after a deploy is a policy change to look at. ${note}`,
    queries: [{ expr: `sum by (severity) (${s('cors_probe_findings')})`, legend: '{{severity}}' }],
  }, 12));
  b.withPanel(L.timeseries({
    title: 'Probe duration', unit: 's',
    description: `Time each probe took (dozens of requests within the request budget); near the scrape timeout, probes get cut short. ${note}`,
    queries: [{ expr: `max by (instance) (${s('cors_probe_duration_seconds')})`, legend: '{{instance}}' }],
  }, 12));
}
