/**
 * Exhausting the origin store, over real sockets against the real middleware and the real
 * PostgreSQL (issue #12, item 11):
 * - a flood of random tenant ids must not starve a real tenant whose cache entry expired;
 * - lookups that timed out must give back their concurrency slot (one hang + 1000 random origins
 *   must not leave every later lookup refused);
 * - a connection whose network goes SILENT (packets dropped, nothing closed) must be detected and
 *   replaced, so that lookups and change notifications recover by themselves.
 */
import express from 'express';
import { Agent } from 'node:http';
import { Client } from 'pg';
import { corsSentinel, type CorsSentinelMiddleware } from '../../packages/cors-sentinel/src/adapters/express';
import { PostgresOriginStore } from '../../packages/cors-sentinel/src/stores/postgres';
import { listen, send } from '../support/http';
import { TcpProxy, within } from '../support/tcp-proxy';

const PG = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The middleware over an origin store with tenant ids from the query, without a logger. */
function tenantCors(store: PostgresOriginStore, options: { resolverCacheTtlMs: number; resolverTimeoutMs?: number; originStoreMaxLoadsPerSecond?: number }): CorsSentinelMiddleware {
  return corsSentinel({ originStore: store, tenantFrom: { query: 'client_id' }, logger: false, ...options });
}

async function api(cors: CorsSentinelMiddleware): Promise<{ port: number; close(): Promise<void> }> {
  const app = express();
  app.use(cors);
  app.get('/api/data', (_req, res) => void res.json({ ok: true }));
  return listen(app);
}

const allowedBy = (acao: unknown, origin: string): boolean => acao === origin;

describe('origin store exhaustion (real PostgreSQL, real sockets)', () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `cors_exhaust_${suffix}`;
  const channel = `cors_exhaust_changed_${suffix}`;
  let admin: Client;

  beforeAll(async () => {
    admin = new Client(PG);
    await admin.connect();
    const migrator = new PostgresOriginStore({ poolConfig: PG, table, channel });
    await migrator.migrate();
    await migrator.close();
    await admin.query(`INSERT INTO ${table} (tenant, origin) VALUES ('acme', 'https://shop.acme.example')`);
  });
  afterAll(async () => {
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.query(`DROP FUNCTION IF EXISTS ${table}_notify()`);
    await admin.end();
  });

  it('a flood of random tenant ids does not starve a real tenant whose entry keeps expiring', async () => {
    const store = new PostgresOriginStore({ poolConfig: PG, table, channel });
    // The real tenant's entry expires every 200 ms, so it is reloaded again and again during the flood.
    const cors = tenantCors(store, { resolverCacheTtlMs: 200, originStoreMaxLoadsPerSecond: 20 });
    const server = await api(cors);
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const real = async (count: number): Promise<number> => {
      let allowed = 0;
      for (let i = 0; i < count; i++) {
        const r = await send(server.port, '/api/data?client_id=acme', { Origin: 'https://shop.acme.example' }, 'GET', agent);
        if (allowedBy(r.headers['access-control-allow-origin'], 'https://shop.acme.example')) allowed++;
        await sleep(50);
      }
      return allowed;
    };
    try {
      const quiet = await real(24);
      let flooding = true;
      let flood = 0;
      const flooders = Array.from({ length: 16 }, async () => {
        while (flooding) {
          const id = Math.random().toString(36).slice(2, 12);
          await send(server.port, `/api/data?client_id=${id}`, { Origin: `https://${id}.attacker.test` }, 'GET', agent);
          flood++;
        }
      });
      await sleep(200);
      const duringFlood = await real(37);
      flooding = false;
      await Promise.all(flooders);
      // eslint-disable-next-line no-console
      console.log(`store flood: real tenant allowed ${quiet}/24 quiet, ${duringFlood}/37 during a flood of ${flood} random tenant ids`);
      expect(quiet).toBe(24);
      expect(flood).toBeGreaterThan(500);
      expect(duringFlood).toBe(37);
    } finally {
      agent.destroy();
      await server.close();
      cors.close();
      await store.close();
    }
  }, 60_000);

  it('lookups that timed out give their slot back: after one hang + 1000 random origins, a healthy backend serves again', async () => {
    let hanging = true;
    const cors = corsSentinel({
      // A backend that hangs (never answers) until it is healthy again.
      resolveOrigin: (origin) => (hanging ? new Promise<boolean>(() => undefined) : origin.endsWith('.partner.example')),
      resolverTimeoutMs: 100,
      logger: false,
    });
    const server = await api(cors);
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    try {
      const hang = await send(server.port, '/api/data', { Origin: 'https://first.partner.example' }, 'GET', agent);
      expect(hang.headers['access-control-allow-origin']).toBeUndefined();
      const flood = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => send(server.port, '/api/data', { Origin: `https://r${i}.attacker.test` }, 'GET', agent)),
      );
      expect(flood.every((r) => r.status === 200 && r.headers['access-control-allow-origin'] === undefined)).toBe(true);
      hanging = false;
      const healthy = await send(server.port, '/api/data', { Origin: 'https://www.partner.example' }, 'GET', agent);
      expect(healthy.headers['access-control-allow-origin']).toBe('https://www.partner.example');
    } finally {
      agent.destroy();
      await server.close();
      cors.close();
    }
  }, 60_000);

  it('a connection whose network goes silent is detected and replaced: lookups and notifications recover by themselves', async () => {
    const proxy = new TcpProxy(PG.port);
    await proxy.start();
    const store = new PostgresOriginStore({
      poolConfig: { ...PG, port: proxy.port },
      table,
      channel,
      queryTimeoutMs: 500,
      heartbeatMs: 300,
      reconnectDelayMs: 100,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const cors = tenantCors(store, { resolverTimeoutMs: 300, resolverCacheTtlMs: 60_000 });
    const server = await api(cors);
    const ask = async (tenant: string, origin: string): Promise<boolean> =>
      allowedBy((await send(server.port, `/api/data?client_id=${tenant}`, { Origin: origin })).headers['access-control-allow-origin'], origin);
    try {
      expect(await ask('acme', 'https://shop.acme.example')).toBe(true);
      // LISTEN is up once a change made now is applied.
      await admin.query(`INSERT INTO ${table} (tenant, origin) VALUES ('acme', 'https://before.acme.example')`);
      await within(3000, () => ask('acme', 'https://before.acme.example'), 50);
      // (The lookup may have raced the notification, which drops acme's set again: let it arrive, then cache acme.)
      await sleep(200);
      expect(await ask('acme', 'https://shop.acme.example')).toBe(true);
      // Several connections in the pool, all of which will be on the dead path.
      await Promise.all(['t1', 't2', 't3', 't4', 't5'].map((t) => ask(t, 'https://x.example')));

      proxy.silence();
      // Lookups fail closed within the resolver timeout; a cached tenant is still served. More
      // lookups than the pool has connections, so that every pooled connection is stuck on the dead path.
      const started = Date.now();
      const during = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'].map((t) => ask(t, `https://www.${t}.example`)));
      expect(during.every((a) => !a)).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await ask('acme', 'https://shop.acme.example')).toBe(true);
      await sleep(1000);

      proxy.heal();
      await admin.query(`INSERT INTO ${table} (tenant, origin) VALUES ('umbrella', 'https://www.umbrella.example')`);
      // Nothing closed the dead connections: the store must find out itself and open new ones.
      const lookupsBack = await within(10_000, () => ask('umbrella', 'https://www.umbrella.example'), 100);
      await admin.query(`INSERT INTO ${table} (tenant, origin) VALUES ('acme', 'https://after.acme.example')`);
      const notificationsBack = await within(10_000, () => ask('acme', 'https://after.acme.example'), 100);
      // eslint-disable-next-line no-console
      console.log(`silent network: lookups back ${lookupsBack} ms after heal, notifications ${notificationsBack} ms after the change`);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await server.close();
      cors.close();
      await store.close();
      await proxy.close();
    }
  }, 60_000);
});
