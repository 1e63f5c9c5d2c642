/**
 * The behaviour every database-backed origin store must show against its real server, through a
 * TCP proxy that the tests cut and black-hole: live changes within a second, failing closed within
 * the timeout, cached tenants still served, no query storms, and recovery without help.
 */
import { Registry } from 'prom-client';
import type { Sentinel } from '../../packages/cors-sentinel/src/sentinel';
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';
import type { OriginStore } from '../../packages/cors-sentinel/src/stores/types';
import { createSentinel } from '../../packages/cors-sentinel/src/sentinel';
import { metricSum } from '../support/sentinel';
import { TcpProxy, within } from '../support/tcp-proxy';

export interface StoreFixture {
  /** A store connected through the proxy on `port`. */
  makeStore(port: number): Promise<OriginStore & { close(): Promise<void> }>;
  /** Changes made behind the store's back, as another service would. */
  addDirect(tenant: string, origin: string): Promise<void>;
  removeDirect(tenant: string, origin: string): Promise<void>;
  /** Makes reads hang on the server itself until `release` is called. */
  stall(): Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
}

export function storeSuite(name: string, serverPort: number, fixture: () => Promise<StoreFixture>): void {
  describe(`${name} origin store (real server)`, () => {
    let fx: StoreFixture;
    let proxy: TcpProxy;
    let store: OriginStore & { close(): Promise<void> };
    let sentinel: Sentinel;
    let registry: Registry;
    let loads = 0;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };

    const ask = async (tenant: string | undefined, origin: string): Promise<Decision> =>
      sentinel.decide({ method: 'GET', path: '/x', origin, target: tenant === undefined ? '/x' : `/x?client_id=${tenant}`, headers: {} });

    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      fx = await fixture();
      proxy = new TcpProxy(serverPort);
      await proxy.start();
      store = await fx.makeStore(proxy.port);
      await fx.addDirect('acme', 'https://shop.acme.example');
      await fx.addDirect('globex', 'https://portal.globex.example');
      const counting: OriginStore = {
        originsFor: (t) => (loads++, store.originsFor(t)),
        subscribe: store.subscribe?.bind(store),
      };
      registry = new Registry();
      sentinel = createSentinel({
        origins: ['https://app.example.com'],
        originStore: counting,
        tenantFrom: { query: 'client_id' },
        resolverTimeoutMs: 300,
        resolverCacheTtlMs: 30_000,
        logger: false,
        metrics: { registry },
      });
    });

    afterAll(async () => {
      sentinel?.close();
      await store?.close();
      await proxy?.close();
      await fx?.cleanup();
      process.off('unhandledRejection', onUnhandled);
    });

    it('allows a tenant its own origins only', async () => {
      expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('allowed');
      expect((await ask('acme', 'https://portal.globex.example')).outcome).toBe('rejected');
      expect((await ask('globex', 'https://portal.globex.example')).outcome).toBe('allowed');
      expect((await ask(undefined, 'https://shop.acme.example')).outcome).toBe('rejected');
      expect((await ask('acme', 'https://app.example.com')).outcome).toBe('allowed');
    });

    it('applies an added origin within a second, and a removed one stops working within a second', async () => {
      expect((await ask('acme', 'https://new.acme.example')).outcome).toBe('rejected');
      await fx.addDirect('acme', 'https://new.acme.example');
      const added = await within(1000, async () => (await ask('acme', 'https://new.acme.example')).outcome === 'allowed');
      await fx.removeDirect('acme', 'https://new.acme.example');
      const removed = await within(1000, async () => (await ask('acme', 'https://new.acme.example')).outcome === 'rejected');
      expect(added).toBeLessThan(1000);
      expect(removed).toBeLessThan(1000);
    });

    it('loads a tenant once for concurrent requests and for a flood of random origins', async () => {
      const before = loads;
      const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => ask('initech', `https://r${i}.attacker.test`)));
      expect(decisions.every((d) => d.reason === 'origin_not_allowed')).toBe(true);
      for (let i = 0; i < 2000; i++) await ask('initech', `https://flood${i}.attacker.test`);
      expect(loads - before).toBe(1);
    });

    it('fails closed within the timeout while the database hangs, and keeps serving cached tenants', async () => {
      await ask('acme', 'https://shop.acme.example'); // cached
      const release = await fx.stall();
      try {
        const started = Date.now();
        const d = await ask('hooli', 'https://www.hooli.example');
        expect(d.reason).toBe('resolver_timeout');
        expect(Date.now() - started).toBeLessThan(1000);
        expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('allowed');
      } finally {
        await release();
      }
    });

    it('fails closed while the database is unreachable, and recovers by itself', async () => {
      await proxy.cut();
      try {
        const started = Date.now();
        const d = await ask('umbrella', 'https://www.umbrella.example');
        expect(['resolver_error', 'resolver_timeout']).toContain(d.reason);
        expect(Date.now() - started).toBeLessThan(1000);
        expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('allowed');
      } finally {
        await proxy.restore();
      }
      await fx.addDirect('umbrella', 'https://www.umbrella.example');
      // Failures are remembered for a second; then the lookup goes through again.
      await within(5000, async () => (await ask('umbrella', 'https://www.umbrella.example')).outcome === 'allowed', 100);
      // And change notifications flow again after the reconnect.
      await fx.addDirect('acme', 'https://after.acme.example');
      await within(3000, async () => (await ask('acme', 'https://after.acme.example')).outcome === 'allowed', 50);
      expect(await metricSum(registry, 'cors_resolver_duration_seconds_count', { result: 'timeout' })).toBeGreaterThanOrEqual(1);
      expect(unhandled).toEqual([]);
    });
  });
}
