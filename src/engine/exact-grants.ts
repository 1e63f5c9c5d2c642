/**
 * The answers for exactly listed origins, built once per route at start-up: an exact origin's
 * allowed answer depends on nothing but the route and the origin, so decide() need not rebuild it.
 */
import type { HeaderPair } from './decision';
import type { ExactGrant } from '../policy/compiled';

export interface GrantParts {
  readonly actualHeaders: readonly HeaderPair[];
  readonly preflightHeaders: readonly HeaderPair[];
  readonly actualVary: readonly string[];
  readonly preflightVary: readonly string[];
  readonly preflightStatus: number;
  readonly preflightContinue: boolean;
}

/**
 * The decisions decide() would build for each exact origin, built once and frozen. They must stay
 * field for field what decide()'s grant() returns for source 'exact' (the engine tests compare both paths).
 */
export function compileExactGrants(route: string, exact: ReadonlySet<string>, p: GrantParts): Map<string, ExactGrant> {
  const grants = new Map<string, ExactGrant>();
  for (const origin of exact) {
    const common = { route, reason: undefined, origin, originSource: 'exact' as const, originPattern: undefined };
    const actualHeaders = Object.freeze([['Access-Control-Allow-Origin', origin] as const, ...p.actualHeaders]);
    grants.set(origin, Object.freeze({
      actual: Object.freeze({
        ...common, requestType: 'actual' as const, outcome: 'allowed' as const, headers: actualHeaders, vary: p.actualVary, status: undefined, passThrough: true,
      }),
      actualRefused: Object.freeze({
        ...common, requestType: 'actual' as const, outcome: 'rejected' as const, reason: 'credentials_not_allowed' as const,
        headers: actualHeaders, vary: p.actualVary, status: undefined, passThrough: true,
      }),
      preflight: Object.freeze({
        ...common, requestType: 'preflight' as const, outcome: 'allowed' as const,
        headers: Object.freeze([['Access-Control-Allow-Origin', origin] as const, ...p.preflightHeaders]),
        vary: p.preflightVary, status: p.preflightStatus, passThrough: p.preflightContinue,
      }),
    }));
  }
  return grants;
}

