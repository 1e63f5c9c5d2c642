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
  /**
   * The `store` label of `cors_origin_store_lookups_total`, named by CorsOriginStoreDown
   * (`[A-Za-z0-9_.:-]`, at most 64 characters). Default: `memory`, `postgres`, `redis`, or `custom`
   * for a store of your own.
   */
  readonly name?: string;
}

const STORE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The label a store is counted under: its own valid `name`, else `fallback` (a label is never request text). */
export function storeLabel(store: OriginStore | undefined, fallback: string): string {
  const name = store?.name;
  return typeof name === 'string' && STORE_NAME.test(name) ? name : fallback;
}

/**
 * Where the tenant id of a request comes from.
 *
 * A tenant is an untrusted party (a customer who registers his own origins). With credentials, the
 * tenant must be bound where a cross-site page cannot re-point it: the path (`/t/acme/...`, and the
 * app serves only that tenant's data there) or the host (`acme.api.example.com`, with host-only
 * cookies). A query parameter is chosen by whoever builds the URL, so `{ query }` with credentials
 * needs `dangerouslyAllowCredentialsWithQueryTenant`. A header cannot be used at all: preflights
 * carry header names, never values. See docs/threat-model.md.
 */
export type TenantSource =
  /**
   * The path: a template `'/t/:tenant'` (one whole segment; fast, nothing to get wrong), or a RegExp
   * anchored with `^` whose first capture group is the tenant id, `/^\/t\/([^/]+)\//` (run on RE2).
   */
  | { readonly path: string | RegExp }
  /** The Host header (lower-case, no port): a template `':tenant.api.example.com'`, or an anchored RegExp with a capture group. */
  | { readonly host: string | RegExp }
  | { readonly query: string };

/** Tenant ids longer than this, or with control characters, are ignored (no lookup). */
export const MAX_TENANT_LENGTH = 128;
