/**
 * Whether the answers can be judged at all. When every actual request failed (an error or a redirect
 * without CORS headers), "no findings" would be a guess: the probe is inconclusive and says what to
 * try, by the statuses seen.
 */
import type { ProbeResponse } from './types';

export interface Inconclusive {
  readonly reason: string;
  readonly tryNext: readonly string[];
}

function judgeable(r: ProbeResponse): boolean {
  return (r.status >= 200 && r.status < 300) || Object.keys(r.headers).some((h) => h.startsWith('access-control-'));
}

export function inconclusiveOf(responses: readonly ProbeResponse[], actualMethod: string, withSession: boolean): Inconclusive | undefined {
  const actual = responses.filter((r) => r.request.kind === 'actual');
  if (actual.some(judgeable)) return undefined;
  const statuses = [...new Set(actual.map((r) => r.status))].sort((a, b) => a - b);
  const tryNext: string[] = [];
  if (statuses.some((s) => s === 401 || s === 403 || s === 407)) {
    tryNext.push(withSession ? 'the session sent (--header) was refused: check that it is current and valid for this URL' : "the URL wants a session: pass one with --header 'Cookie: …' or --header 'Authorization: …', or from a file (--header-file) or an environment variable (--header-env); values are redacted and sent only to this URL");
  }
  if (statuses.some((s) => s === 404 || s === 405 || s === 501)) {
    tryNext.push(actualMethod === 'POST'
      ? 'the route does not answer POST with this body either: check the URL and the --data/--content-type the route expects'
      : "the route may answer another method: if it takes POST, try --method POST --data '<a harmless body>' (sent to every probe request); check the URL");
  }
  const location = actual.find((r) => r.status >= 300 && r.status < 400)?.headers.location?.[0];
  if (location !== undefined) tryNext.push(`the URL redirects (Location: ${location}): probe the final URL; the prober never follows redirects`);
  if (statuses.some((s) => s >= 500)) tryNext.push('the server answers with errors: check that it is healthy and that the request it gets is one it accepts');
  if (tryNext.length === 0) tryNext.push('check the URL, raise --timeout or --budget, and probe again');
  const seen = statuses.length > 0 ? `every actual ${actualMethod} was answered ${statuses.join('/')} without CORS headers` : `no actual ${actualMethod} got an answer`;
  return { reason: `${seen}: the CORS answer of a working request was never seen, so no finding does not mean safe`, tryNext };
}
