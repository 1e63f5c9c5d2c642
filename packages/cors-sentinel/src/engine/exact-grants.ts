/**
 * The answers for exactly listed origins, built once per route at start-up: an exact origin's
 * allowed answer depends on nothing but the route and the origin, so decide() need not rebuild it.
 */
import type { HeaderPair } from './decision';
import { grantedDecision } from './decision-builder';
import type { ExactGrant } from './compiled';

export interface GrantParts {
  readonly actualHeaders: readonly HeaderPair[];
  readonly preflightHeaders: readonly HeaderPair[];
  readonly actualVary: readonly string[];
  readonly preflightVary: readonly string[];
  readonly preflightStatus: number;
  readonly preflightContinue: boolean;
}

/**
 * The decisions decide() would build for each exact origin, built once and frozen (their header lists
 * readonly by type). They must stay field for field what decide()'s grant() returns for source 'exact'
 * (the engine tests compare both paths).
 */
export function compileExactGrants(route: string, exact: ReadonlySet<string>, p: GrantParts): Map<string, ExactGrant> {
  const grants = new Map<string, ExactGrant>();
  for (const origin of exact) {
    // The header lists stay unfrozen (readonly by type): writers index them on every request, and V8's
    // optimised code reads a frozen array's elements through the generic keyed-load path (~4 ns each).
    const actualHeaders: readonly HeaderPair[] = [['Access-Control-Allow-Origin', origin], ...p.actualHeaders];
    const preflightHeaders: readonly HeaderPair[] = [['Access-Control-Allow-Origin', origin], ...p.preflightHeaders];
    grants.set(origin, Object.freeze({
      actual: Object.freeze(grantedDecision(route, 'actual', origin, 'exact', undefined, actualHeaders, p.actualVary, undefined, true, false)),
      actualRefused: Object.freeze(grantedDecision(route, 'actual', origin, 'exact', undefined, actualHeaders, p.actualVary, undefined, true, true)),
      preflight: Object.freeze(grantedDecision(route, 'preflight', origin, 'exact', undefined, preflightHeaders, p.preflightVary, p.preflightStatus, p.preflightContinue, false)),
    }));
  }
  return grants;
}

