/**
 * Local servers (the `localServer` preset): requests refused because their Host is not allowed
 * (`cors_violations_total{reason="host_not_allowed"}`).
 *
 * - CorsDnsRebindingAttempt (warning): a burst of refused Hosts on one instance. A web page whose
 *   name was re-pointed at the server's address is the usual cause (DNS rebinding: every request
 *   it makes carries its own name in Host); a client configured with a name nobody listed is the
 *   other. One stray request does not fire; a page that keeps trying does.
 */
import { indent } from '../promql';
import type { AlertContext, AlertModule } from './types';

/** Host refusals per instance within the rate window; a series born within it counts from its first value. */
function refusedHosts(x: AlertContext): string {
  const s = x.q.sel('violations_total', 'reason="host_not_allowed"');
  const window = x.c.windows.rate;
  return [
    // prom-client creates the series at its first refusal: `increase` over a series born in the window
    // would miss what happened before its first sample, so new series count with their whole value
    // (guarded by `up` a window ago, so that a fresh Prometheus does not call every old series new).
    `((${s} unless ${s} offset ${window}) and ignoring (route, request_type, reason) ${x.q.up()} offset ${window})`,
    'or',
    `increase(${s}[${window}])`,
  ].join('\n');
}

export const localServerAlerts: AlertModule = {
  name: 'local-server',
  alerts: [
    {
      name: 'CorsDnsRebindingAttempt',
      for: '0s',
      severity: 'warning',
      // An attack page retries in bursts: stay firing between them instead of flapping.
      keepFiringFor: '15m',
      build: (x) => ({
        expr: [
          `sum by (${x.q.labels(x.c.instanceLabel)}) (`,
          indent(refusedHosts(x)),
          `) >= ${x.c.thresholds.refusedHosts}`,
        ].join('\n'),
        summary: 'A burst of requests with a Host the local server does not answer to: a DNS-rebinding attempt, or a client using an unlisted name.',
        description: `Instance ${x.instance} of ${x.job} refused {{ $value | printf "%.0f" }} requests with a foreign Host (host_not_allowed) within ${x.c.windows.rate}; none reached a handler.`,
      }),
    },
  ],
};
