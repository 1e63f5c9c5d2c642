/**
 * The ledger's route key of a decision (see EvidenceEntry.route): the policy route's `path` pattern,
 * `*` for the default route, and — for a writer without a route table — the path's first segment as
 * `/segment/*`, so that an attacker's paths can multiply entries only up to the ledger's per-origin cap.
 */
import type { CompiledPolicy } from '../engine/compiled';

/** `(route name, request path)` → the route the ledger records. */
export type RouteKeyOf = (routeName: string, path: string) => string;

const MAX_SEGMENT_LENGTH = 64;

export function evidenceRouteKeys(policy: CompiledPolicy, bySegment: boolean): RouteKeyOf {
  const byName = new Map<string, string>();
  for (const route of policy.routes) if (route.pattern !== undefined) byName.set(route.name, route.pattern.source);
  const defaultName = policy.defaultRoute.name;
  // Decisions carry the compiled route's own name string: the last one answers most requests without a lookup.
  let lastName = '';
  let lastKey = '*';
  const keyOf = (name: string): string => {
    if (name !== lastName) {
      lastName = name;
      lastKey = byName.get(name) ?? '*';
    }
    return lastKey;
  };
  if (!bySegment) return keyOf;
  return (name, path) => (name === defaultName ? firstSegment(path) : keyOf(name));
}

/** `/api/x/y` → `/api/*`, `/` → `/`; a segment too long to be a real one is one key for all. */
export function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  const segment = (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
  if (segment === '') return '/';
  return segment.length > MAX_SEGMENT_LENGTH ? '/(long)/*' : `/${segment}/*`;
}
