/**
 * Origin lookups by the store that answered them: `cors_origin_store_lookups_total{store, result}`.
 * `cors_resolver_duration_seconds{result}` says that lookups fail, not where: with two stores (a
 * tenant database on one route, a cache on another) or a resolver function beside them, on-call must
 * know which is down. The `store` label comes from configuration only — the store's `name`, or
 * `memory`/`postgres`/`redis`/`custom`, `resolveOrigin` for a resolver function — never from a request,
 * so it is bounded by the policy. A new series: the resolver's stay as they were.
 */
import { Counter, type Registry } from 'prom-client';
import type { CacheResult, ResolverObserver, ResolverOutcome } from '../engine/resolver-cache';

export const STORE_LOOKUPS_METRIC = 'origin_store_lookups_total';

const OUTCOMES: readonly ResolverOutcome[] = ['allowed', 'denied', 'error', 'timeout'];

/** A resolver observer that counts a route's lookups under its store's name. */
export function storeLookupObserver(metrics: { readonly registry: Registry; readonly prefix: string }, store: string): ResolverObserver {
  const name = metrics.prefix + STORE_LOOKUPS_METRIC;
  const counter = (metrics.registry.getSingleMetric(name) as Counter<'store' | 'result'> | undefined) ?? new Counter({
    name, registers: [metrics.registry], labelNames: ['store', 'result'] as const,
    help: 'Origin resolver lookups (cache misses) by the store that answered them (its name) and result: allowed, denied, error, timeout.',
  });
  // Every result is published at 0, so that the first failure is a rate() and not a new series.
  const series = new Map(OUTCOMES.map((result) => [result, counter.labels(store, result)] as const));
  for (const s of series.values()) s.inc(0);
  return {
    lookup(outcome: ResolverOutcome): void {
      series.get(outcome)?.inc();
    },
    cache(_result: CacheResult): void {
      // Cache results are the resolver's own series (cors_resolver_cache_total).
    },
  };
}
