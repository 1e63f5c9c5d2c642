/**
 * Origin stores: where per-tenant allowed origins live (memory, PostgreSQL, Redis). A store answers
 * with a tenant's whole set of origins, so that a lookup costs one query per tenant and TTL — an
 * attacker sending random origins for a known tenant causes no query at all.
 */

export interface OriginStore {
  /** The normalised allowed origins of a tenant (`''` when the policy has no `tenantFrom`). */
  originsFor(tenant: string): Promise<ReadonlySet<string>> | ReadonlySet<string>;
  /**
   * Calls `onChange` when a tenant's origins change (`undefined`: anything may have changed, e.g.
   * after a reconnect). Returns a function that unsubscribes.
   */
  subscribe?(onChange: (tenant: string | undefined) => void): () => void;
  close?(): Promise<void>;
}

/**
 * Where the tenant id of a request comes from. A header is added to `Vary` (caches must keep
 * tenants apart); a query parameter or a path segment is part of the URL already.
 */
export type TenantSource =
  | { readonly header: string }
  | { readonly query: string }
  /** A RegExp over the path whose first capture group is the tenant id: `/^\/t\/([^/]+)/`. */
  | { readonly path: RegExp };

/** Tenant ids longer than this, or with control characters, are ignored (no lookup). */
export const MAX_TENANT_LENGTH = 128;
