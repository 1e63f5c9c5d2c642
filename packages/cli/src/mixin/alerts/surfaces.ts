/**
 * Failures of the surfaces around the decision itself, which no CORS alert sees because they make
 * no CORS decision: the sidecar proxy's backend is down (every request a 502, decisions look
 * normal), and the middleware is mounted after a router (requests answered with no decision at all).
 */
import { indent } from '../promql';
import type { AlertContext, AlertModule } from './types';

/** Cross-origin requests/s answered without a decision, per job. */
function undecided(x: AlertContext): string {
  return x.q.sumRate('undecided_requests_total', []);
}

/**
 * An allowed frontend's calls are the undecided ones: undecided requests are a large share of the
 * cross-origin traffic, and the allowed traffic fell by as much against its level before the last
 * rollout window. Undecided requests carry no origin, so the fall of the allowed rate is what ties
 * them to the frontends that used to be served.
 */
function allowedFrontendUndecided(x: AlertContext): string {
  const t = x.c.thresholds;
  const w = x.c.windows;
  const u = undecided(x);
  const allowedNow = `(sum without (outcome) (${x.n.requestsByOutcome}{outcome="allowed"}) or 0 * ${u})`;
  const allowedBefore = `sum without (outcome) (max_over_time(${x.n.requestsByOutcome}{outcome="allowed"}[${w.recentlyAllowed}] offset ${w.rollout}))`;
  return [
    `${u} > ${t.undecidedRate}`,
    `and ${x.on()} (${u} / (${u} + ${allowedNow})) > ${t.undecidedShare}`,
    `and ${x.on()} ${allowedNow} < ${1 - t.undecidedShare} * ${allowedBefore}`,
  ].join('\n');
}

export const surfaceAlerts: AlertModule = {
  name: 'surfaces',
  alerts: [
    {
      name: 'CorsProxyUpstreamFailing',
      for: '5m',
      severity: 'warning',
      build: (x) => ({
        // Per instance and kind: a backend behind one sidecar dies alone; a stray reset is far below the rate.
        expr: `${x.q.sumRate('proxy_upstream_errors_total', [], x.c.instanceLabel, 'kind')} > ${x.c.thresholds.proxyUpstreamErrorRate}`,
        summary: 'The sidecar proxy cannot reach its upstream backend: requests are answered 502/504 (not a CORS rejection).',
        description: `The cors-sentinel proxy ${x.instance} of ${x.job} fails {{ $value | printf "%.2f" }} upstream exchanges/s with {{ $labels.kind }}: the backend behind it is down or too slow; CORS decisions are unaffected.`,
      }),
    },
    {
      name: 'CorsAllowedFrontendUndecided',
      for: '5m',
      severity: 'critical',
      build: (x) => ({
        expr: allowedFrontendUndecided(x),
        summary: 'An allowed frontend\'s requests get no CORS decision: the middleware is mounted after a router that answers them.',
        description: `${x.job} answers {{ $value | printf "%.2f" }} cross-origin requests/s without a CORS decision, while its allowed traffic fell by as much: browsers block these responses (check cors_routes_before_middleware).`,
      }),
    },
    {
      name: 'CorsUndecidedRequests',
      for: '10m',
      severity: 'warning',
      build: (x) => ({
        expr: [`${undecided(x)} > ${x.c.thresholds.undecidedRate}`, `unless ${x.on()} (`, indent(allowedFrontendUndecided(x)), ')'].join('\n'),
        summary: 'Cross-origin requests are answered without a CORS decision: routes are mounted before the middleware.',
        description: `${x.job} answers {{ $value | printf "%.2f" }} cross-origin requests/s without any cors-sentinel decision (routes mounted before the middleware: cors_routes_before_middleware).`,
      }),
    },
  ],
};
