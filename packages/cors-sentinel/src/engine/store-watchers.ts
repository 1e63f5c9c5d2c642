import type { CompiledPolicy } from './compiled';

/**
 * Connects every route's origin store to its caches: when a store reports a change, the tenant's
 * origin set and the resolver's cached answers are dropped, so the change applies on the next
 * request. Returns a function that unsubscribes all.
 */
export function watchOriginStores(policy: CompiledPolicy): () => void {
  const unsubscribes: Array<() => void> = [];
  for (const route of [policy.defaultRoute, ...policy.routes]) {
    const { storeCache, resolver } = route;
    if (storeCache === undefined || resolver === undefined) continue;
    // Answers are cached per (tenant, origin); dropping them all on a change is simple and changes are rare.
    unsubscribes.push(storeCache.watch(() => resolver.invalidate()));
  }
  return () => {
    for (const u of unsubscribes) u();
  };
}
