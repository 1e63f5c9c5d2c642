/**
 * The CORS prober's findings (`cors-sentinel probe --serve`, series `cors_probe_*` of the probe job,
 * `probeSelector`): what the endpoints grant when asked from outside. Findings are stable between
 * probes, so one probe is enough to page on a credentialed reflection; the softer alerts wait a few
 * probes so that a deploy in progress does not notify.
 */
import { SEVERITIES, severityRank } from '../../probe/classes';
import type { AlertContext, AlertModule } from './types';

/**
 * What these alerts read, and why they agree with the prober's one severity table (probe/classes.ts):
 * - CorsProbeCredentialedOriginReflection: `cors_probe_credentialed_origin_reflection`, 1 exactly for
 *   the table's credentialed reads by any website (CREDENTIALED_READ_SITUATIONS: read or hidden read);
 * - CorsProbeFinding: `cors_probe_findings{severity}` at medium or worse, which is where the table puts
 *   credentialed writes, reads from a subdomain or the network path, credentialed PNA grants and
 *   cache poisoning of a credentialed grant;
 * - CorsProbeFailing: `cors_probe_success` 0, which includes an inconclusive probe
 *   (`cors_probe_failure{reason="inconclusive"}`): the posture is unknown either way.
 */
const NOTIFYING_FINDINGS = SEVERITIES.filter((s) => severityRank(s) >= severityRank('medium')).join('|');

function reflection(x: AlertContext): string {
  return `max by (${x.q.labels('instance')}) (${x.q.probe('cors_probe_credentialed_origin_reflection')})`;
}

export const probeAlerts: AlertModule = {
  name: 'probe',
  alerts: [
    {
      name: 'CorsProbeCredentialedOriginReflection',
      for: '0s',
      severity: 'critical',
      build: (x) => ({
        expr: `${reflection(x)} == 1`,
        summary: 'A probed endpoint lets an origin it does not own read credentialed responses.',
        description: 'The CORS probe of {{ $labels.instance }} found an attacker-controlled origin granted with Access-Control-Allow-Credentials: any website can read what the user can.',
      }),
    },
    {
      name: 'CorsProbeFinding',
      for: '15m',
      severity: 'warning',
      build: (x) => ({
        // The credentialed reflection pages on its own; this one covers the rest (subdomain, http, cache poisoning, PNA).
        expr: [
          `max by (${x.q.labels('instance', 'class', 'severity')}) (${x.q.probe('cors_probe_findings', `severity=~"${NOTIFYING_FINDINGS}"`)}) > 0`,
          `unless ${x.on('instance')} (${reflection(x)} == 1)`,
        ].join('\n'),
        summary: 'A probed endpoint has a CORS finding of medium severity or worse.',
        description: 'The CORS probe of {{ $labels.instance }} reports {{ $labels.class }} ({{ $labels.severity }}) for several probes in a row.',
      }),
    },
    {
      name: 'CorsProbeFailing',
      for: '10m',
      severity: 'warning',
      build: (x) => ({
        expr: [
          `max by (${x.q.labels('instance')}) (${x.q.probe('cors_probe_success')}) == 0`,
          `or max by (${x.q.labels('instance')}) (${x.q.probe('up')}) == 0`,
        ].join('\n'),
        summary: 'The CORS prober cannot probe an endpoint: its CORS posture is unknown.',
        description: 'Probes of {{ $labels.instance }} fail (DNS, TLS, connection or timeout: see cors_probe_failure), or the prober itself is down.',
      }),
    },
  ],
};
