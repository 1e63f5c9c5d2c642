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

/** Access-log lines/s read by the log reader, per instance and result. */
function logLines(x: AlertContext, window: string, offset = ''): string {
  return `sum by (${x.q.labels(x.c.instanceLabel)}) (rate(${x.q.sel('log_lines_total')}[${window}]${offset}))`;
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
    {
      name: 'CorsLogReaderLinesMalformed',
      for: '10m',
      severity: 'warning',
      build: (x) => {
        const t = x.c.thresholds;
        const w = x.c.windows.rate;
        const malformed = `sum by (${x.q.labels(x.c.instanceLabel)}) (rate(${x.q.sel('log_lines_total', 'result="malformed"')}[${w}]))`;
        return {
          // From cors_log_lines_total alone: a reader that cannot parse its input cannot report that itself.
          expr: `${malformed} / ${logLines(x, w)} > ${t.logMalformedShare}\nand ${x.on(x.c.instanceLabel)} ${malformed} > ${t.logSteadyLineRate}`,
          summary: 'Most access-log lines are malformed: the log_format changed and the log reader sees no CORS traffic.',
          description: `{{ $value | humanizePercentage }} of the access-log lines read by ${x.instance} of ${x.job} are malformed (not the cors_json log_format of docs/proxy.md): its CORS metrics are blind.`,
        };
      },
    },
    {
      name: 'CorsLogReaderReadFailing',
      for: '5m',
      severity: 'warning',
      build: (x) => ({
        // The reader's own word (what /healthz says); CorsLogReaderStalled judges the line counter alone.
        expr: `max by (${x.q.labels(x.c.instanceLabel)}) (${x.q.sel('log_read_failing')}) == 1`,
        summary: 'The log reader cannot read its access log: rotation left an unreadable file, or permissions changed.',
        description: `The log reader ${x.instance} of ${x.job} has failed to read its access log for a while (its /healthz answers 503 and stderr says why): no CORS decision of the edge is observed.`,
      }),
    },
    {
      name: 'CorsLogReaderStalled',
      for: '1m',
      severity: 'warning',
      build: (x) => {
        const w = x.c.windows;
        return {
          // A genuinely quiet log (a few lines an hour) never reaches the steady rate before the stall.
          expr: `${logLines(x, '1h', ` offset ${w.logStall}`)} > ${x.c.thresholds.logSteadyLineRate}\nand ${x.on(x.c.instanceLabel)} ${logLines(x, w.logStall)} == 0`,
          summary: 'The log reader reads no lines after steady traffic: the log file was rotated away, is unreadable, or nginx stopped writing it.',
          description: `The log reader ${x.instance} of ${x.job} has read no access-log line for ${w.logStall}, after {{ $value | printf "%.2f" }} lines/s before (check its /healthz and stderr: rotation, permissions, path).`,
        };
      },
    },
  ],
};
