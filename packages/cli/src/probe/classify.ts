/**
 * Turns answers into observations: which classes the endpoint falls into, with the response that
 * shows it. No severity here (grade.ts decides what an attacker can do with each observation).
 */
import type { OriginAccess, ProbeClass } from './classes';
import { originAccess, strength, type OriginEvidence } from './access';
import { first, granted, values, varyOnOrigin, withCredentials } from './answers';
import { UNLISTED_HEADER, UNLISTED_METHOD, type ProbePlan } from './plan';
import type { OriginMutation, ProbeResponse } from './types';

export interface Observation {
  readonly class: ProbeClass;
  readonly response: ProbeResponse;
  readonly credentials: boolean;
  /** Set for origin classes: the origin that was granted and who can send it. */
  readonly mutation?: OriginMutation;
  /** Origin classes: how the grant reaches an attacker (access.ts). */
  readonly access?: OriginAccess;
  /** Write access: the methods and headers the preflight unlocks. */
  readonly unlocks?: readonly string[];
  /** Hidden read: the status of the actual answer that asked for a session. */
  readonly actualStatus?: number;
  /** Access-Control-Max-Age of a granting preflight, when there was one. */
  readonly maxAge?: number;
  /** The granted origin is one the site does not own (PNA). */
  readonly foreign?: boolean;
}

/** Browsers keep a preflight at most this long (Firefox; Chromium: 7200 s). */
export const BROWSER_MAX_AGE_CAP = 86_400;

export function classify(plan: ProbePlan, responses: readonly ProbeResponse[], siteOrigin: string): Observation[] {
  return [...originObservations(plan, responses), ...wildcardObservations(responses), ...varyObservations(responses), ...preflightObservations(plan, responses, siteOrigin)];
}

function originObservations(plan: ProbePlan, responses: readonly ProbeResponse[]): Observation[] {
  const answersOf = new Map<OriginMutation, ProbeResponse[]>();
  for (const res of responses) {
    const mutation = plan.mutationOf.get(res.request);
    if (mutation) answersOf.set(mutation, [...(answersOf.get(mutation) ?? []), res]);
  }
  const best = new Map<OriginMutation['class'], Observation>();
  for (const [mutation, answers] of answersOf) {
    const evidence = originAccess(answers);
    if (!evidence) continue;
    const obs: Observation = { class: mutation.class, response: evidence.response, credentials: evidence.credentials, mutation, access: evidence.access, unlocks: evidence.unlocks, actualStatus: evidence.actualStatus };
    const prior = best.get(mutation.class);
    // Keep the worst instance of each class: the strongest access, then the widest reach; answers
    // arrive in plan order, so ties keep the first.
    if (!prior || rank(obs) > rank(prior)) best.set(mutation.class, obs);
  }
  return [...best.values()];
}

function rank(o: Observation): number {
  const reach = o.mutation?.reach === 'anyone' ? 2 : o.mutation?.reach === 'subdomain' ? 0 : 1;
  return strength(o as OriginEvidence) * 10 + reach;
}

function wildcardObservations(responses: readonly ProbeResponse[]): Observation[] {
  const out: Observation[] = [];
  const star = responses.filter((r) => granted(r) === 'wildcard');
  const credentialed = star.find(withCredentials);
  if (credentialed) out.push({ class: 'wildcard_with_credentials', response: credentialed, credentials: true });
  const plain = star.find((r) => !withCredentials(r));
  if (plain) out.push({ class: 'public_wildcard', response: plain, credentials: false });
  return out;
}

/**
 * An actual-request answer that changes with Origin must say so in Vary, or a shared cache serves one
 * origin's answer to another. A cached `*` without credentials harms nobody, so it is not counted.
 */
function varyObservations(responses: readonly ProbeResponse[]): Observation[] {
  const actual = responses.filter((r) => r.request.kind === 'actual');
  const answers = new Set(actual.map((r) => `${first(r, 'access-control-allow-origin') ?? ''}|${first(r, 'access-control-allow-credentials') ?? ''}`));
  if (answers.size < 2) return [];
  const credentials = actual.some(withCredentials);
  const unvaried = actual.filter((r) => !varyOnOrigin(r) && !(first(r, 'access-control-allow-origin') === '*' && !credentials));
  const grant = unvaried.find((r) => first(r, 'access-control-allow-origin') !== undefined);
  const missing = grant ?? unvaried[0];
  // A cached grant can reach another origin; a cached answer without ACAO only breaks frontends.
  return missing ? [{ class: 'missing_vary_origin', response: missing, credentials: grant !== undefined && credentials }] : [];
}

function preflightObservations(plan: ProbePlan, responses: readonly ProbeResponse[], siteOrigin: string): Observation[] {
  const out: Observation[] = [];
  const preflights = responses.filter((r) => r.request.kind === 'preflight');
  const grantedPreflights = preflights.filter((r) => granted(r) !== 'none');
  const maxAgeOf = (r: ProbeResponse): number | undefined => {
    const v = Number(first(r, 'access-control-max-age'));
    return Number.isFinite(v) && first(r, 'access-control-max-age') !== undefined ? v : undefined;
  };
  const unlisted = grantedPreflights.filter((r) => r.request.requestMethod === UNLISTED_METHOD);
  const anyMethod = unlisted.find((r) => values(r, 'access-control-allow-methods').some((m) => m === '*' || m.toUpperCase() === UNLISTED_METHOD));
  if (anyMethod) out.push({ class: 'preflight_any_method', response: anyMethod, credentials: withCredentials(anyMethod), maxAge: maxAgeOf(anyMethod) });
  const anyHeader = unlisted.find((r) => values(r, 'access-control-allow-headers').some((h) => h === '*' || h.toLowerCase() === UNLISTED_HEADER));
  if (anyHeader) out.push({ class: 'preflight_any_header', response: anyHeader, credentials: withCredentials(anyHeader), maxAge: maxAgeOf(anyHeader) });
  const longest = grantedPreflights.map((r) => ({ r, age: maxAgeOf(r) ?? 0 })).sort((a, b) => b.age - a.age)[0];
  if (longest && longest.age > BROWSER_MAX_AGE_CAP) out.push({ class: 'preflight_max_age_excessive', response: longest.r, credentials: withCredentials(longest.r), maxAge: longest.age });
  const attacker = plan.mutations[0]?.origin;
  const rejected = preflights.find((r) => r.request.origin === attacker && r.request.requestMethod !== UNLISTED_METHOD && granted(r) === 'none' && revealsPolicy(r));
  if (rejected) out.push({ class: 'rejected_preflight_reveals_policy', response: rejected, credentials: false });
  const pna = grantedPreflights.filter((r) => first(r, 'access-control-allow-private-network') === 'true');
  const foreign = pna.find((r) => r.request.origin !== siteOrigin);
  const own = pna[0];
  if (foreign ?? own) out.push({ class: 'private_network_access_granted', response: (foreign ?? own) as ProbeResponse, credentials: withCredentials((foreign ?? own) as ProbeResponse), foreign: foreign !== undefined });
  return out;
}

/** CORS headers on a rejection: another origin in ACAO, or methods/headers listed. (A repeated echo of the origin is a stacked layer, not a revelation.) */
function revealsPolicy(r: ProbeResponse): boolean {
  if ((r.headers['access-control-allow-origin'] ?? []).some((v) => v.split(',').map((x) => x.trim()).includes(r.request.origin ?? ''))) return false;
  return ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials', 'access-control-max-age'].some((h) => r.headers[h] !== undefined);
}
