/**
 * The one place Decision objects are built. The engine's general path, the precomputed answers for
 * exact origins and the observer all go through these constructors, so that a field added to
 * Decision is filled in everywhere or the build breaks. Plain positional arguments: these run per
 * request, and an options object would be one more allocation.
 */
import type { Decision, HeaderPair, OriginSource, Reason, RequestType } from './decision';

/** The answer to a request that is not CORS (no Origin, same origin, CORS disabled on the route). */
export function nonCorsDecision(route: string, headers: readonly HeaderPair[], vary: readonly string[]): Decision {
  return {
    route, requestType: 'non_cors', outcome: undefined, reason: undefined, origin: undefined, originSource: undefined,
    originPattern: undefined, headers, vary, status: undefined, passThrough: true,
  };
}

/**
 * A request from an admitted origin, with the route's headers and Vary for its type. An actual request
 * is passed on (`status` undefined); it is `refused` when it carries cookies the route does not allow,
 * so the browser will refuse the response — the headers stay the same so that caches see one answer.
 * A preflight is answered with `status`, or passed on (`preflightContinue`).
 */
export function grantedDecision(
  route: string,
  type: 'actual' | 'preflight',
  origin: string,
  source: OriginSource,
  pattern: string | undefined,
  headers: readonly HeaderPair[],
  vary: readonly string[],
  status: number | undefined,
  passThrough: boolean,
  refused: boolean,
): Decision {
  return {
    route, requestType: type, outcome: refused ? 'rejected' : 'allowed',
    reason: refused ? 'credentials_not_allowed' : undefined, origin, originSource: source, originPattern: pattern,
    headers, vary, status, passThrough,
  };
}

/** A rejection: no CORS headers; `offending` only when given (the violation log's failing token). */
export function rejection(
  route: string,
  type: RequestType,
  reason: Reason,
  origin: string | undefined,
  source: OriginSource | undefined,
  pattern: string | undefined,
  vary: readonly string[],
  status: number | undefined,
  passThrough: boolean,
  offending?: string,
): Decision {
  return {
    route, requestType: type, outcome: 'rejected', reason, origin, originSource: source,
    originPattern: pattern, headers: [], vary, status, passThrough,
    ...(offending !== undefined ? { offending } : {}),
  };
}

/** What the observer saw another CORS layer answer: it sets no headers itself, it only records. */
export function observedDecision(
  route: string,
  seen: Pick<Decision, 'requestType' | 'outcome' | 'reason' | 'origin' | 'originSource' | 'originPattern'>,
  status: number,
): Decision {
  return {
    route, requestType: seen.requestType, outcome: seen.outcome, reason: seen.reason, origin: seen.origin,
    originSource: seen.originSource, originPattern: seen.originPattern, headers: [], vary: [], status, passThrough: true,
  };
}
