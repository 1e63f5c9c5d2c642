import { Client } from 'pg';
import { PostgresOriginStore } from '../../packages/cors-sentinel/src/stores/postgres';
import { storeSuite } from './store-suite';

const CONNECTION = { host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: process.env.PGDATABASE ?? 'test' };

storeSuite('PostgreSQL', CONNECTION.port, async () => {
  const suffix = Math.random().toString(36).slice(2, 8);
  const table = `cors_test_${suffix}`;
  const channel = `cors_test_changed_${suffix}`;
  const admin = new Client(CONNECTION);
  await admin.connect();
  // The migration is the store's own: the test uses the schema users get.
  const migrator = new PostgresOriginStore({ poolConfig: CONNECTION, table, channel });
  await migrator.migrate();
  await migrator.close();
  return {
    makeStore: async (port) => new PostgresOriginStore({ poolConfig: { ...CONNECTION, port }, table, channel, reconnectDelayMs: 100 }),
    addDirect: async (tenant, origin) => void (await admin.query(`INSERT INTO ${table} (tenant, origin) VALUES ($1, $2)`, [tenant, origin])),
    removeDirect: async (tenant, origin) => void (await admin.query(`DELETE FROM ${table} WHERE tenant = $1 AND origin = $2`, [tenant, origin])),
    stall: async () => {
      // A lock held by another transaction makes every read of the table wait: a slow database.
      const locker = new Client(CONNECTION);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      return async () => {
        await locker.query('ROLLBACK');
        await locker.end();
      };
    },
    cleanup: async () => {
      await admin.query(`DROP TABLE IF EXISTS ${table}`);
      await admin.query(`DROP FUNCTION IF EXISTS ${table}_notify()`);
      await admin.end();
    },
  };
});
