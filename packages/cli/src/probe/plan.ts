/**
 * What the probe sends, in priority order (the budget cuts from the end): the site's own origin,
 * no origin, preflights that ask for a method and a header nobody configures (and DELETE from the
 * attacker origin), then every origin mutation as an actual request and as a preflight.
 */
import { originMutations } from './mutations';
import type { OriginMutation, ProbeRequest } from './types';

/** A method and a header that no real policy lists: granting them means "anything goes". */
export const UNLISTED_METHOD = 'CORSPROBE';
export const UNLISTED_HEADER = 'x-cors-probe-unlisted';

/** The unsafe method asked for from the attacker origin, whatever the frontend uses. */
export const WRITE_METHOD = 'DELETE';

export interface ProbePlan {
  readonly requests: ProbeRequest[];
  readonly mutations: OriginMutation[];
  /** Which mutation each request carries (by request index). */
  readonly mutationOf: ReadonlyMap<ProbeRequest, OriginMutation>;
}

export interface PlanInput {
  readonly siteOrigin: string;
  readonly method: string;
  readonly headers: readonly string[];
  readonly attackerDomain: string;
  /** The user opted in to actual POSTs with a body of their own (`--method POST --data …`). */
  readonly postBody?: boolean;
}

/** GET, HEAD, or POST when the user opted in with a body: never another method, never by default. */
export function actualMethodOf(method: string, postBody: boolean): string {
  if (method === 'HEAD') return 'HEAD';
  return method === 'POST' && postBody ? 'POST' : 'GET';
}

export function planProbe(input: PlanInput): ProbePlan {
  const chosen = actualMethodOf(input.method, input.postBody ?? false);
  const actualMethod = chosen === 'GET' ? undefined : chosen;
  // A page preflights a POST only for what a form cannot send, most often a JSON body: ask for its
  // content-type too, so that a grant of it (the write a POST preflight unlocks) is seen.
  const asked = input.method === 'POST' && !input.headers.includes('content-type') ? [...input.headers, 'content-type'] : input.headers;
  const requestHeaders = asked.length > 0 ? asked.join(', ') : undefined;
  const mutations = originMutations(input.siteOrigin, input.attackerDomain);
  const attacker = mutations[0]?.origin;
  const requests: ProbeRequest[] = [
    { kind: 'actual', origin: input.siteOrigin, requestMethod: actualMethod },
    { kind: 'actual', requestMethod: actualMethod },
    { kind: 'preflight', origin: input.siteOrigin, requestMethod: input.method, requestHeaders, privateNetwork: true },
    { kind: 'preflight', origin: input.siteOrigin, requestMethod: UNLISTED_METHOD, requestHeaders: UNLISTED_HEADER },
  ];
  const mutationOf = new Map<ProbeRequest, OriginMutation>();
  if (attacker) {
    // Also evidence for the reflection class: a grant of an unlisted method (anything goes) or of
    // DELETE (a fixed list of unsafe methods) to the attacker is a write, whatever the frontend uses.
    const anything: ProbeRequest = { kind: 'preflight', origin: attacker, requestMethod: UNLISTED_METHOD, requestHeaders: UNLISTED_HEADER };
    const unsafe: ProbeRequest = { kind: 'preflight', origin: attacker, requestMethod: WRITE_METHOD };
    requests.push(anything, unsafe);
    mutationOf.set(anything, mutations[0] as OriginMutation);
    mutationOf.set(unsafe, mutations[0] as OriginMutation);
  }
  for (const m of mutations) {
    const actual: ProbeRequest = { kind: 'actual', origin: m.origin, requestMethod: actualMethod };
    const preflight: ProbeRequest = { kind: 'preflight', origin: m.origin, requestMethod: input.method, requestHeaders, privateNetwork: m.origin === attacker };
    requests.push(actual, preflight);
    mutationOf.set(actual, m);
    mutationOf.set(preflight, m);
  }
  return { requests, mutations, mutationOf };
}
