/**
 * `cors_origin_store_lookups_total{store, result}` (issue 24 item 8): a store's lookups are counted
 * under its name, so that CorsOriginStoreDown can say which store is down. The label comes from the
 * configuration (the store's `name`, or its kind), never from a request.
 */
import { Registry } from 'prom-client';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { MemoryOriginStore } from '../../packages/cors-sentinel/src/stores/memory';
import type { OriginStore } from '../../packages/cors-sentinel/src/stores/types';

async function lookups(registry: Registry): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric('cors_origin_store_lookups_total');
  const out: Record<string, number> = {};
  for (const v of (await metric?.get())?.values ?? []) if (v.value > 0) out[`${v.labels.store}/${v.labels.result}`] = v.value;
  return out;
}

const get = (path: string, origin: string) => ({ method: 'GET', path, origin, host: 'api.example.com' });

describe('cors_origin_store_lookups_total', () => {
  it('names each route\'s store: its own name, its kind, or resolveOrigin', async () => {
    const registry = new Registry();
    const down: OriginStore = { name: 'tenants-db', originsFor: () => Promise.reject(new Error('connection refused')) };
    const sentinel = createSentinel({
      logger: false,
      metrics: { registry },
      routes: [
        { path: '/a/*', originStore: down },
        { path: '/b/*', originStore: new MemoryOriginStore({ '': ['https://b.example.com'] }) },
        { path: '/c/*', resolveOrigin: (origin) => origin === 'https://c.example.com' },
        { path: '/d/*', originStore: { name: 'bad name with spaces', originsFor: () => new Set<string>() } },
      ],
    });
    try {
      for (const [path, origin] of [['/a/x', 'https://a.example.com'], ['/b/x', 'https://b.example.com'], ['/c/x', 'https://c.example.com'], ['/c/y', 'https://other.example.com'], ['/d/x', 'https://d.example.com']]) {
        await sentinel.decide(get(path as string, origin as string));
      }
      expect(await lookups(registry)).toEqual({
        'tenants-db/error': 1, 'memory/allowed': 1, 'resolveOrigin/allowed': 1, 'resolveOrigin/denied': 1, 'custom/denied': 1,
      });
    } finally {
      sentinel.close();
    }
  });
});
