/**
 * Caches each tenant's origin set from a store: TTL, bounded number of tenants, one load per tenant
 * at a time, and a cap on loads per second so that random tenant ids cannot hammer the database
 * (over the cap, lookups fail closed).
 */
import type { OriginStore } from './types';

export interface TenantCacheOptions {
  readonly ttlMs: number;
  readonly maxTenants: number;
  readonly maxLoadsPerSecond: number;
}

export class StoreOverloadedError extends Error {
  override readonly name = 'StoreOverloadedError';
}

interface Entry {
  readonly origins: ReadonlySet<string>;
  readonly expires: number;
}

export class TenantOriginCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ReadonlySet<string>>>();
  private windowStart = 0;
  private loadsInWindow = 0;
  /** Bumped on every invalidation, so a load that started before it is not cached after it. */
  private generation = 0;

  constructor(
    private readonly store: OriginStore,
    private readonly options: TenantCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the tenant allows the origin; synchronous when the tenant's set is cached. */
  isAllowed(origin: string, tenant: string): boolean | Promise<boolean> {
    const entry = this.entries.get(tenant);
    if (entry !== undefined && entry.expires > this.now()) return entry.origins.has(origin);
    return this.load(tenant).then((origins) => origins.has(origin));
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
    if (tenant === undefined) this.entries.clear();
    else this.entries.delete(tenant);
  }

  private load(tenant: string): Promise<ReadonlySet<string>> {
    const pending = this.loading.get(tenant);
    if (pending) return pending;
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.loadsInWindow = 0;
    }
    if (++this.loadsInWindow > this.options.maxLoadsPerSecond) {
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
    this.entries.delete(tenant);
    this.entries.set(tenant, { origins, expires: this.now() + this.options.ttlMs });
    if (this.entries.size > this.options.maxTenants) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
