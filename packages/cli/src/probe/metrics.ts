/**
 * The metrics of one probe, in a Registry of its own (blackbox_exporter style): a scrape of
 * /probe returns exactly this probe's series, and nothing lingers between probes. Every label value
 * comes from a fixed set (classes, severities, failure reasons), never from the target's answers.
 */
import { Gauge, Registry } from 'prom-client';
import { FAILURE_REASONS, type FailureReason } from './http';
import type { ProbeReport } from './types';

export const PROBE_METRICS = {
  success: 'cors_probe_success',
  duration: 'cors_probe_duration_seconds',
  findings: 'cors_probe_findings',
  credentialedReflection: 'cors_probe_credentialed_origin_reflection',
  requests: 'cors_probe_requests',
  failure: 'cors_probe_failure',
} as const;

/** `inconclusive`: the target answered, but no actual request could be judged (see verdict.ts). */
export const PROBE_FAILURE_REASONS = [...FAILURE_REASONS, 'inconclusive'] as const;

export function probeRegistry(result: { report: ProbeReport } | { failure: FailureReason; durationSeconds: number }): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers: [registry] });
  const success = gauge(PROBE_METRICS.success, 'Whether the probe reached the target and judged its CORS answers (1) or failed or was inconclusive (0).');
  const duration = gauge(PROBE_METRICS.duration, 'How long the probe took, in seconds.');
  const findings = gauge(PROBE_METRICS.findings, 'Findings of the probe by class and severity (1 when the endpoint falls into the class).', ['class', 'severity']);
  const reflection = gauge(PROBE_METRICS.credentialedReflection, 'Whether an origin the site does not own can read credentialed responses (1) or not (0).');
  const requests = gauge(PROBE_METRICS.requests, 'Requests the probe sent to the target.');
  const failure = gauge(PROBE_METRICS.failure, 'Why the probe failed (1 for the reason), by fixed reason.', ['reason']);
  if ('failure' in result) {
    success.set(0);
    duration.set(result.durationSeconds);
    for (const reason of PROBE_FAILURE_REASONS) failure.set({ reason }, reason === result.failure ? 1 : 0);
    return registry;
  }
  const r = result.report;
  const inconclusive = r.verdict === 'inconclusive';
  // Inconclusive counts as a failed probe: the posture is unknown, which is what CorsProbeFailing pages on.
  success.set(inconclusive ? 0 : 1);
  duration.set(r.durationSeconds);
  requests.set(r.requestsSent);
  reflection.set(r.credentialedOriginReflection ? 1 : 0);
  for (const f of r.findings) findings.set({ class: f.class, severity: f.severity }, 1);
  for (const reason of PROBE_FAILURE_REASONS) failure.set({ reason }, reason === 'inconclusive' && inconclusive ? 1 : 0);
  return registry;
}
