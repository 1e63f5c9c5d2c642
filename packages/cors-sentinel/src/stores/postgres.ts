/**
 * A PostgreSQL origin store: one row per (tenant, origin), a trigger that NOTIFYs on every change,
 * and a LISTEN connection that invalidates cached tenants within milliseconds. `pg` is an optional
 * peer dependency, loaded only when this store is used.
 */
import { loadOptional } from './optional';
import { normaliseStoredOrigins } from './normalise';
import type { OriginStore } from './types';

/** The parts of a `pg` Pool this store uses (declared here so that users without `pg` types can compile). */
/** A query with pg's client-side read timeout (`query_timeout`), honoured by every pg Client. */
export interface PgQuery {
  readonly text: string;
  readonly values?: unknown[];
  readonly query_timeout?: number;
}

export interface PgPool {
  query<R = Record<string, unknown>>(query: string | PgQuery, values?: unknown[]): Promise<{ rows: R[] }>;
  connect(): Promise<PgClient>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}
export interface PgClient {
  query(query: string | PgQuery): Promise<unknown>;
  on(event: 'error' | 'end', listener: () => void): unknown;
  on(event: 'notification', listener: (msg: { channel: string; payload?: string }) => void): unknown;
  release(destroy?: boolean): void;
}

export interface PostgresOriginStoreOptions {
  /** An existing pool, or settings for a new one (connectionString, host…). */
  readonly pool?: PgPool;
  /** `pg` PoolConfig: connectionString, host, user… */
  readonly poolConfig?: Readonly<Record<string, unknown>>;
  /** Default `cors_allowed_origins`. */
  readonly table?: string;
  /** The `store` label of its lookups, e.g. `tenants-db` (default `postgres`). */
  readonly name?: string;
  /** NOTIFY channel. Default `cors_origins_changed`. */
  readonly channel?: string;
  /** Delay before re-opening a lost LISTEN connection. Default 500 ms. */
  readonly reconnectDelayMs?: number;
  /**
   * A query without an answer after this long fails and its connection is dropped and replaced
   * (pg's `query_timeout`; with a pool of its own also the server's `statement_timeout`). This is
   * what detects a connection whose network went silent: nothing closes it. Default 2000 ms.
   */
  readonly queryTimeoutMs?: number;
  /**
   * The LISTEN connection is otherwise idle: it is checked with `SELECT 1` this often, and replaced
   * (caches dropped, since changes may have gone unannounced) when the check fails. Default 5000 ms.
   */
  readonly heartbeatMs?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The table and the trigger that reports changes. Idempotent. */
export function postgresSchema(table = 'cors_allowed_origins', channel = 'cors_origins_changed'): string {
  if (!IDENTIFIER.test(table) || !IDENTIFIER.test(channel)) throw new TypeError('cors-sentinel: invalid table or channel name');
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  tenant     text NOT NULL,
  origin     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, origin)
);
CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${channel}', COALESCE(NEW.tenant, OLD.tenant));
  IF TG_OP = 'UPDATE' AND NEW.tenant IS DISTINCT FROM OLD.tenant THEN
    PERFORM pg_notify('${channel}', OLD.tenant);
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS ${table}_changed ON ${table};
CREATE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE ON ${table}
  FOR EACH ROW EXECUTE FUNCTION ${table}_notify();
`;
}

export class PostgresOriginStore implements OriginStore {
  private readonly pool: PgPool;
  private readonly ownsPool: boolean;
  private readonly table: string;
  private readonly channel: string;
  private readonly reconnectDelayMs: number;
  private readonly listeners = new Set<(tenant: string | undefined) => void>();
  private listener: PgClient | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly queryTimeoutMs: number;
  private readonly heartbeatMs: number;
  private closed = false;
  readonly name: string;

  constructor(options: PostgresOriginStoreOptions = {}) {
    this.name = options.name ?? 'postgres';
    this.table = options.table ?? 'cors_allowed_origins';
    this.channel = options.channel ?? 'cors_origins_changed';
    if (!IDENTIFIER.test(this.table) || !IDENTIFIER.test(this.channel)) throw new TypeError('cors-sentinel: invalid table or channel name');
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 2000;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else {
      const pg = loadOptional<{ Pool: new (config: Record<string, unknown>) => PgPool }>('pg', 'the PostgreSQL origin store');
      this.pool = new pg.Pool({
        // Fail fast while the database is unreachable (also bounds the wait for a free connection).
        connectionTimeoutMillis: 1000,
        max: 5,
        idleTimeoutMillis: 10_000,
        // A silent network is detected by the query timeout (the client drops the connection) and,
        // for idle connections the kernel still believes in, by TCP keep-alive probes.
        query_timeout: this.queryTimeoutMs,
        statement_timeout: this.queryTimeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        ...options.poolConfig,
      });
      this.ownsPool = true;
    }
    // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** Creates the table and its change trigger (idempotent). */
  async migrate(): Promise<void> {
    await this.pool.query(postgresSchema(this.table, this.channel));
  }

  async originsFor(tenant: string): Promise<ReadonlySet<string>> {
    const result = await this.pool.query<{ origin: string }>({
      text: `SELECT origin FROM ${this.table} WHERE tenant = $1`,
      values: [tenant],
      // Also with a pool supplied by the caller: a query on a dead connection must fail, not hang.
      query_timeout: this.queryTimeoutMs,
    });
    return normaliseStoredOrigins(result.rows.map((r) => r.origin));
  }

  async addOrigin(tenant: string, origin: string): Promise<void> {
    const [normalised] = normaliseStoredOrigins([origin]);
    if (normalised === undefined) throw new TypeError(`cors-sentinel: ${JSON.stringify(origin)} is not an origin`);
    await this.pool.query(`INSERT INTO ${this.table} (tenant, origin) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [tenant, normalised]);
  }

  async removeOrigin(tenant: string, origin: string): Promise<void> {
    const [normalised] = normaliseStoredOrigins([origin]);
    await this.pool.query(`DELETE FROM ${this.table} WHERE tenant = $1 AND origin = $2`, [tenant, normalised ?? origin]);
  }

  subscribe(onChange: (tenant: string | undefined) => void): () => void {
    this.listeners.add(onChange);
    if (this.listeners.size === 1) void this.listen();
    return () => {
      this.listeners.delete(onChange);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.listener?.release(true);
    this.listener = undefined;
    if (this.ownsPool) await this.pool.end();
  }

  /** Opens the LISTEN connection; until it listens, anything may have changed unannounced. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    let client: PgClient | undefined;
    try {
      const connected = await this.pool.connect();
      client = connected;
      const lost = (): void => {
        if (this.listener !== connected) return;
        this.listener = undefined;
        if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = undefined;
        connected.release(true);
        this.scheduleReconnect();
      };
      connected.on('error', lost);
      connected.on('end', lost);
      connected.on('notification', (msg) => {
        if (msg.channel === this.channel) this.emit(msg.payload ?? undefined);
      });
      await connected.query({ text: `LISTEN ${this.channel}`, query_timeout: this.queryTimeoutMs });
      if (this.closed) return connected.release(true);
      this.listener = connected;
      this.startHeartbeat(connected, lost);
      // Changes made before LISTEN took effect were never announced to us (at start-up as after a
      // reconnect), and a tenant loaded meanwhile may be stale: drop everything cached so far.
      this.emit(undefined);
    } catch {
      // A connection that could not LISTEN (timed out on a silent network) goes back destroyed, not kept.
      if (client !== undefined && this.listener !== client) client.release(true);
      this.scheduleReconnect();
    }
  }

  /** An idle LISTEN connection on a silent network looks healthy forever: ask it something now and then. */
  private startHeartbeat(client: PgClient, lost: () => void): void {
    this.heartbeatTimer = setInterval(() => {
      client.query({ text: 'SELECT 1', query_timeout: this.queryTimeoutMs }).catch(lost);
    }, this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.listen();
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }

  private emit(tenant: string | undefined): void {
    for (const l of this.listeners) l(tenant);
  }
}
