/** An in-memory origin store: static, or reloaded at run time (e.g. from a config file watcher). */
import { normaliseStoredOrigins } from './normalise';
import type { OriginStore } from './types';

export class MemoryOriginStore implements OriginStore {
  private tenants = new Map<string, ReadonlySet<string>>();
  private readonly listeners = new Set<(tenant: string | undefined) => void>();

  /** The `store` label of its lookups (default `memory`). */
  readonly name: string;

  /** `{ tenant: [origins] }`; use the key `''` for a policy without `tenantFrom`. */
  constructor(origins: Readonly<Record<string, readonly string[]>> = {}, options: { readonly name?: string } = {}) {
    this.name = options.name ?? 'memory';
    this.replace(origins);
  }

  originsFor(tenant: string): ReadonlySet<string> {
    return this.tenants.get(tenant) ?? EMPTY;
  }

  /** Replaces every tenant's origins at once. */
  replace(origins: Readonly<Record<string, readonly string[]>>): void {
    const next = new Map<string, ReadonlySet<string>>();
    for (const [tenant, list] of Object.entries(origins)) next.set(tenant, normaliseStoredOrigins(list));
    this.tenants = next;
    this.emit(undefined);
  }

  add(tenant: string, origin: string): void {
    this.tenants.set(tenant, normaliseStoredOrigins([...(this.tenants.get(tenant) ?? []), origin]));
    this.emit(tenant);
  }

  remove(tenant: string, origin: string): void {
    const drop = normaliseStoredOrigins([origin]);
    this.tenants.set(tenant, new Set([...(this.tenants.get(tenant) ?? [])].filter((o) => !drop.has(o))));
    this.emit(tenant);
  }

  subscribe(onChange: (tenant: string | undefined) => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  private emit(tenant: string | undefined): void {
    for (const listener of this.listeners) listener(tenant);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
