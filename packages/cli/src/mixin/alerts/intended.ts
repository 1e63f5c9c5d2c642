/**
 * "Previously allowed" means allowed by the intended policy. While a misconfigured layer reflects
 * every origin (the observer or the log reader sees `reflected_origin_with_credentials`), scanners
 * and untrusted partners are "allowed" too; counted as established frontends they would page as
 * broken ones once the layer is fixed. These recorded rates keep only the allowed traffic of times
 * when the job granted no reflected origin, and the frontend alerts look back over them.
 */
import type { RecordingRule } from '../promql';
import type { AlertContext } from './types';

/** Jobs whose responses reflect origins now: their grants are not the intended policy. */
function reflecting(x: AlertContext): string {
  return `group by (${x.by}) (${x.n.findings}{finding="reflected_origin_with_credentials"} > 0)`;
}

export function intendedNames(x: AlertContext) {
  return {
    byOrigin: x.q.rec(['origin'], 'requests_intended_allowed', x.q.rateOp),
    byOriginType: x.q.rec(['origin', 'request_type'], 'requests_intended_allowed', x.q.rateOp),
  };
}

export function intendedRecording(x: AlertContext): RecordingRule[] {
  const n = intendedNames(x);
  return [
    { record: n.byOrigin, expr: `sum without (outcome) (${x.n.requestsByOrigin}{outcome="allowed"})\nunless ${x.on()} ${reflecting(x)}` },
    { record: n.byOriginType, expr: `sum without (outcome) (${x.n.requestsByOriginType}{outcome="allowed"})\nunless ${x.on()} ${reflecting(x)}` },
  ];
}
