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
 * An actual request from an admitted origin. `refused`: it carries cookies the route does not allow,
 * so the browser will refuse the response; the headers stay the same so that caches see one answer.
 */
export function actualAnswer(
  route: string,
  origin: string,
  source: OriginSource,
  pattern: string | undefined,
  headers: readonly HeaderPair[],
  vary: readonly string[],
  refused: boolean,
): Decision {
  return {
    route, requestType: 'actual', outcome: refused ? 'rejected' : 'allowed',
    reason: refused ? 'credentials_not_allowed' : undefined, origin, originSource: source, originPattern: pattern,
    headers, vary, status: undefined, passThrough: true,
  };
}

/** A granted preflight: the adapter answers with `status`, or passes the request on (`preflightContinue`). */
export function preflightGrant(
  route: string,
  origin: string,
  source: OriginSource,
  pattern: string | undefined,
  headers: readonly HeaderPair[],
  vary: readonly string[],
  status: number,
  passThrough: boolean,
): Decision {
  return {
    route, requestType: 'preflight', outcome: 'allowed', reason: undefined, origin, originSource: source,
    originPattern: pattern, headers, vary, status, passThrough,
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
