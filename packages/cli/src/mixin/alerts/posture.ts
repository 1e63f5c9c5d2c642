/** The policy itself: credentials for any origin, instances disagreeing, a report-only candidate that would break traffic. */
import { indent } from '../promql';
import type { AlertModule } from './types';

export const postureAlerts: AlertModule = {
  name: 'posture',
  alerts: [
    {
      name: 'CorsCredentialedAnyOriginPolicy',
      for: '0s',
      severity: 'critical',
      build: (x) => ({
        expr: `max by (${x.q.labels('route', 'origin_policy')}) (${x.q.sel('config_info', 'credentials="true"', 'origin_policy=~"any|reflect"')}) > 0`,
        summary: 'A credentialed CORS policy trusts any origin: any website can read authenticated responses.',
        description: `Route {{ $labels.route }} of ${x.job} sends Access-Control-Allow-Credentials with origin policy "{{ $labels.origin_policy }}".`,
      }),
    },
    {
      name: 'CorsCredentialedReflectionObserved',
      for: '0s',
      severity: 'critical',
      build: (x) => ({
        expr: `sum by (${x.q.labels('finding')}) (\n${indent(x.q.newOrIncreased('response_findings_total', ['finding=~"reflected_origin_with_credentials|wildcard_with_credentials"'], ['finding'], x.c.windows.event))}\n) > 0`,
        summary: 'Responses grant credentials to any origin (reflected origin or * with credentials).',
        description: `The observer saw {{ $labels.finding }} on ${x.job} within the last ${x.c.windows.event} (about {{ $value | printf "%.0f" }} response(s)).`,
      }),
    },
    {
      name: 'CorsPolicyDrift',
      // A rollout changes instances one by one; longer than one takes, they should agree again.
      for: '1h',
      severity: 'warning',
      build: (x) => ({
        expr: `count by (${x.by}) (\n  count by (${x.q.labels('policy_hash')}) (${x.q.sel('config_info')})\n) > 1`,
        summary: 'Instances of one job enforce different CORS policies, for longer than a rollout takes.',
        description: `${x.job} runs {{ $value }} different policies (policy_hash); a rollout is stuck or an instance was configured by hand.`,
      }),
    },
    {
      name: 'CorsReportOnlyWouldReject',
      for: '5m',
      severity: 'warning',
      build: (x) => {
        const w = x.c.windows.lowTraffic;
        return {
          // Live-allowed requests the candidate would reject: switching it to enforce breaks them.
          // A count over a longer window, so that a low-traffic frontend shows up too.
          expr: `sum by (${x.q.labels('route')}) (increase(${x.q.sel('shadow_decisions_total', 'change="would_reject"')}[${w}])) >= ${x.c.thresholds.shadowWouldReject}`,
          summary: 'The report-only candidate policy would reject traffic that is allowed now: enforcing it would break a frontend.',
          description: `On route {{ $labels.route }} of ${x.job}, the report-only policy would have rejected {{ $value | printf "%.0f" }} allowed requests within ${w}.`,
        };
      },
    },
  ],
};
