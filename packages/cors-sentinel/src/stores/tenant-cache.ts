/**
 * Caches each tenant's origin set from a store: TTL, bounded number of tenants, one load per tenant
 * at a time, and capped loads per second so that random tenant ids cannot hammer the database
 * (over the cap, lookups fail closed).
 *
 * Random tenant ids (a flood of `client_id=<random>`) must not starve the real tenants either:
 * - tenants the store knows nothing about are cached as unknown (negative) in a map of their own,
 *   so they never push a real tenant out of the cache;
 * - a tenant known to have origins keeps its place after its entry expires (stale, never used to
 *   allow anything) and reloads on a budget of its own, which unknown ids cannot spend.
 */
import { storeLabel, type OriginStore } from './types';

export interface TenantCacheOptions {
  readonly ttlMs: number;
  readonly maxTenants: number;
  /** Loads per second of tenants not known to have origins; known tenants' reloads have a budget of the same size. */
  readonly maxLoadsPerSecond: number;
  /** How long a tenant without origins is remembered as unknown. Default 10 000 ms. */
  readonly unknownTtlMs?: number;
}

export class StoreOverloadedError extends Error {
  override readonly name = 'StoreOverloadedError';
}

interface Entry {
  readonly origins: ReadonlySet<string>;
  /** 0 once invalidated: the tenant stays known (its reloads keep their budget) but must be reloaded. */
  expires: number;
}

/** Loads per one-second window. */
class LoadBudget {
  private windowStart = 0;
  private used = 0;
  constructor(private readonly perSecond: number) {}

  take(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.used = 0;
    }
    return ++this.used <= this.perSecond;
  }
}

export class TenantOriginCache {
  /** Tenants with origins (fresh or stale), oldest first. */
  private readonly known = new Map<string, Entry>();
  /** Tenants without origins → when that answer expires, oldest first. */
  private readonly unknown = new Map<string, number>();
  private readonly loading = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly knownBudget: LoadBudget;
  private readonly unknownBudget: LoadBudget;
  private readonly unknownTtlMs: number;
  /** Bumped on every invalidation, so a load that started before it is not cached after it. */
  private generation = 0;

  /** The store's `store` label (./types storeLabel). */
  get storeName(): string {
    return storeLabel(this.store, 'custom');
  }

  constructor(
    private readonly store: OriginStore,
    private readonly options: TenantCacheOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.knownBudget = new LoadBudget(options.maxLoadsPerSecond);
    this.unknownBudget = new LoadBudget(options.maxLoadsPerSecond);
    this.unknownTtlMs = options.unknownTtlMs ?? 10_000;
  }

  /** Whether the tenant allows the origin; synchronous when the tenant's set (or its absence) is cached. */
  isAllowed(origin: string, tenant: string): boolean | Promise<boolean> {
    const now = this.now();
    const entry = this.known.get(tenant);
    if (entry !== undefined) {
      if (entry.expires > now) return entry.origins.has(origin);
    } else {
      const unknownUntil = this.unknown.get(tenant);
      if (unknownUntil !== undefined && unknownUntil > now) return false;
    }
    return this.load(tenant, entry !== undefined, now).then((origins) => origins.has(origin));
  }

  /** Subscribes to the store's change reports; `onChange` runs after the tenant's set was dropped. */
  watch(onChange: (tenant: string | undefined) => void): () => void {
    if (!this.store.subscribe) return () => undefined;
    return this.store.subscribe((tenant) => {
      this.invalidate(tenant);
      onChange(tenant);
    });
  }

  invalidate(tenant?: string): void {
    this.generation++;
    if (tenant === undefined) {
      for (const entry of this.known.values()) entry.expires = 0;
      this.unknown.clear();
    } else {
      const entry = this.known.get(tenant);
      if (entry !== undefined) entry.expires = 0;
      this.unknown.delete(tenant);
    }
  }

  private load(tenant: string, known: boolean, now: number): Promise<ReadonlySet<string>> {
    const pending = this.loading.get(tenant);
    if (pending) return pending;
    if (!(known ? this.knownBudget : this.unknownBudget).take(now)) {
      return Promise.reject(new StoreOverloadedError('origin store load limit reached'));
    }
    const generation = this.generation;
    const promise = Promise.resolve()
      .then(() => this.store.originsFor(tenant))
      .then((origins) => {
        if (generation === this.generation) this.remember(tenant, origins);
        return origins;
      })
      .finally(() => this.loading.delete(tenant));
    this.loading.set(tenant, promise);
    return promise;
  }

  private remember(tenant: string, origins: ReadonlySet<string>): void {
    const now = this.now();
    this.known.delete(tenant);
    this.unknown.delete(tenant);
    if (origins.size === 0) {
      this.unknown.set(tenant, now + this.unknownTtlMs);
      dropOldest(this.unknown, this.options.maxTenants);
    } else {
      this.known.set(tenant, { origins, expires: now + this.options.ttlMs });
      dropOldest(this.known, this.options.maxTenants);
    }
  }
}

function dropOldest(map: Map<string, unknown>, max: number): void {
  if (map.size <= max) return;
  // Map iteration order is insertion order: the first key is the oldest entry.
  const oldest = map.keys().next().value;
  if (oldest !== undefined) map.delete(oldest);
}
