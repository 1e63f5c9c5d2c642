/**
 * The CORS prober's findings (`cors-sentinel probe --serve`, series `cors_probe_*` of the probe job,
 * `probeSelector`): what the endpoints grant when asked from outside. Findings are stable between
 * probes, so one probe is enough to page on a credentialed reflection; the softer alerts wait a few
 * probes so that a deploy in progress does not notify.
 */
import type { AlertContext, AlertModule } from './types';

/**
 * What these alerts read, and why they agree with the prober's one severity table (probe/classes.ts):
 * - CorsProbeCredentialedOriginReflection: `cors_probe_credentialed_origin_reflection`, 1 exactly for
 *   the table's credentialed reads by any website (CREDENTIALED_READ_SITUATIONS: read or hidden read);
 * - CorsProbeHighSeverityFinding / CorsProbeFinding: `cors_probe_findings{severity}`, which the prober
 *   exports for every class: a high finding pages whatever its class (private network access, cache
 *   poisoning…), a medium one warns;
 * - CorsProbeFailing: `cors_probe_success` 0, which includes an inconclusive probe
 *   (`cors_probe_failure{reason="inconclusive"}`): the posture is unknown either way.
 */
function findings(x: AlertContext, severity: 'high' | 'medium'): string {
  return `max by (${x.q.labels('instance', 'class', 'severity')}) (${x.q.probe('cors_probe_findings', `severity="${severity}"`)}) > 0`;
}

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
      name: 'CorsProbeHighSeverityFinding',
      for: '0s',
      severity: 'critical',
      build: (x) => ({
        // The credentialed reflection pages on its own (one page per endpoint); every other high class pages here.
        expr: [findings(x, 'high'), `unless ${x.on('instance')} (${reflection(x)} == 1)`].join('\n'),
        summary: 'A probed endpoint has a high-severity CORS finding.',
        description: 'The CORS probe of {{ $labels.instance }} reports {{ $labels.class }} ({{ $labels.severity }}): an origin the site does not own is granted more than it should be.',
      }),
    },
    {
      name: 'CorsProbeFinding',
      for: '15m',
      severity: 'warning',
      build: (x) => ({
        expr: [findings(x, 'medium'), `unless ${x.on('instance')} (${reflection(x)} == 1)`].join('\n'),
        summary: 'A probed endpoint has a CORS finding of medium severity.',
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
