import Redis from 'ioredis';
import { RedisOriginStore } from '../../packages/cors-sentinel/src/stores/redis';
import { storeSuite } from './store-suite';

const PORT = 6379;

storeSuite('Redis', PORT, async () => {
  const prefix = `cors-test-${Math.random().toString(36).slice(2, 8)}:`;
  const admin = new Redis(PORT, '127.0.0.1');
  return {
    // Keyspace notifications let the store see changes made by other tools (plain SADD/SREM below).
    makeStore: async (port) => new RedisOriginStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: prefix, channel: `${prefix}changed`, enableKeyspaceEvents: true }),
    addDirect: async (tenant, origin) => void (await admin.sadd(`${prefix}${tenant}`, origin)),
    removeDirect: async (tenant, origin) => void (await admin.srem(`${prefix}${tenant}`, origin)),
    stall: async () => {
      // The server stops answering every client for a while: a hung Redis.
      await admin.client('PAUSE', 1500, 'ALL');
      return async () => void (await admin.client('UNPAUSE'));
    },
    cleanup: async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    },
  };
});
