/**
 * A Redis origin store: one set per tenant (`cors:origins:<tenant>`). Changes made through
 * `addOrigin`/`removeOrigin` are published on a channel; changes made by other tools are seen
 * through keyspace notifications when the server has them on (`notify-keyspace-events` with `K` and
 * `s`, or `enableKeyspaceEvents: true`). `ioredis` is an optional peer dependency.
 */
import { loadOptional } from './optional';
import { normaliseStoredOrigins } from './normalise';
import type { OriginStore } from './types';

/** The parts of an ioredis client this store uses. */
export interface RedisClient {
  smembers(key: string): Promise<string[]>;
  sadd(key: string, member: string): Promise<number>;
  srem(key: string, member: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  config(op: 'SET', key: string, value: string): Promise<unknown>;
  config(op: 'GET', key: string): Promise<unknown>;
  duplicate(): RedisClient;
  subscribe(channel: string): Promise<unknown>;
  psubscribe(pattern: string): Promise<unknown>;
  on(event: string, listener: (...args: string[]) => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisOriginStoreOptions {
  /** An existing ioredis client, or a URL for a new one. Default `redis://127.0.0.1:6379`. */
  readonly client?: RedisClient;
  readonly url?: string;
  /** Default `cors:origins:`. */
  readonly keyPrefix?: string;
  /** The `store` label of its lookups, e.g. `tenants-cache` (default `redis`). */
  readonly name?: string;
  /** Default `cors:origins:changed`. */
  readonly channel?: string;
  /** Turn on keyspace notifications for sets (`CONFIG SET notify-keyspace-events Ks`). */
  readonly enableKeyspaceEvents?: boolean;
}

export class RedisOriginStore implements OriginStore {
  private readonly client: RedisClient;
  private readonly ownsClient: boolean;
  private subscriber: RedisClient | undefined;
  private readonly keyPrefix: string;
  private readonly channel: string;
  private readonly listeners = new Set<(tenant: string | undefined) => void>();
  readonly name: string;

  constructor(private readonly options: RedisOriginStoreOptions = {}) {
    this.name = options.name ?? 'redis';
    this.keyPrefix = options.keyPrefix ?? 'cors:origins:';
    this.channel = options.channel ?? 'cors:origins:changed';
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const Redis = loadOptional<{ default: new (url: string, options: Record<string, unknown>) => RedisClient }>('ioredis', 'the Redis origin store').default;
      // No offline queue: while Redis is down, lookups fail at once (resolver_error) instead of piling up.
      this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.ownsClient = true;
    }
    this.client.on('error', () => undefined);
    // Until the first connection, lookups wait for it (within the resolver's timeout); after that a
    // lost connection fails lookups at once.
    this.firstReady = new Promise((resolve) => {
      if ((this.client as { status?: string }).status === 'ready') resolve();
      else this.client.on('ready', () => resolve());
    });
  }

  private readonly firstReady: Promise<void>;

  /** Resolves once the client has connected for the first time. */
  ready(): Promise<void> {
    return this.firstReady;
  }

  private key(tenant: string): string {
    return `${this.keyPrefix}${tenant}`;
  }

  async originsFor(tenant: string): Promise<ReadonlySet<string>> {
    await this.firstReady;
    return normaliseStoredOrigins(await this.client.smembers(this.key(tenant)));
  }

  async addOrigin(tenant: string, origin: string): Promise<void> {
    const [normalised] = normaliseStoredOrigins([origin]);
    if (normalised === undefined) throw new TypeError(`cors-sentinel: ${JSON.stringify(origin)} is not an origin`);
    await this.client.sadd(this.key(tenant), normalised);
    await this.client.publish(this.channel, tenant);
  }

  async removeOrigin(tenant: string, origin: string): Promise<void> {
    const [normalised] = normaliseStoredOrigins([origin]);
    await this.client.srem(this.key(tenant), normalised ?? origin);
    await this.client.publish(this.channel, tenant);
  }

  subscribe(onChange: (tenant: string | undefined) => void): () => void {
    this.listeners.add(onChange);
    if (!this.subscriber) this.openSubscriber();
    return () => {
      this.listeners.delete(onChange);
    };
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    if (this.ownsClient) this.client.disconnect();
  }

  private openSubscriber(): void {
    const sub = this.client.duplicate();
    this.subscriber = sub;
    let connectedBefore = false;
    sub.on('error', () => undefined);
    // Subscribe once connected (there is no offline queue); ioredis re-subscribes by itself after a
    // reconnect, but messages sent meanwhile are lost, so then everything is dropped.
    sub.on('ready', () => {
      if (connectedBefore) return this.emit(undefined);
      connectedBefore = true;
      const steps = [sub.subscribe(this.channel), sub.psubscribe(`__keyspace@*__:${this.keyPrefix}*`), this.enableKeyspaceEvents()];
      // A change made before we were listening was never announced to us, and a tenant loaded
      // meanwhile may already be stale: once listening, drop everything cached so far.
      void Promise.all(steps.map((step) => step.catch(() => undefined))).then(() => this.emit(undefined));
    });
    sub.on('message', (channel, tenant) => {
      if (channel === this.channel) this.emit(tenant);
    });
    sub.on('pmessage', (_pattern, channel) => {
      const key = channel.slice(channel.indexOf(':') + 1);
      if (key.startsWith(this.keyPrefix)) this.emit(key.slice(this.keyPrefix.length));
    });
  }

  /** Adds K (keyspace) and s (set commands) to whatever the server already publishes, when asked to. */
  private async enableKeyspaceEvents(): Promise<void> {
    if (!this.options.enableKeyspaceEvents) return;
    await this.firstReady;
    const reply = await this.client.config('GET', 'notify-keyspace-events');
    const current = Array.isArray(reply) ? String(reply[1] ?? '') : '';
    const flags = new Set([...current, 'K', 's']);
    await this.client.config('SET', 'notify-keyspace-events', [...flags].join(''));
  }

  private emit(tenant: string | undefined): void {
    for (const l of this.listeners) l(tenant);
  }
}
