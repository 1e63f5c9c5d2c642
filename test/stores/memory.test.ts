import { MemoryOriginStore } from '../../src/stores/memory';
import { TenantOriginCache, StoreOverloadedError } from '../../src/stores/tenant-cache';
import { testSentinel } from '../helpers/sentinel';

describe('MemoryOriginStore', () => {
  it('normalises what it holds and drops what is not an origin', () => {
    const store = new MemoryOriginStore({ acme: ['HTTPS://Shop.Acme.example:443', 'null', 'file://', 'https://x.example/path'] });
    expect([...store.originsFor('acme')]).toEqual(['https://shop.acme.example']);
    expect(store.originsFor('nobody').size).toBe(0);
  });

  it('reloads at run time and reports changes', () => {
    const store = new MemoryOriginStore({ acme: ['https://a.example'] });
    const changes: Array<string | undefined> = [];
    const stop = store.subscribe((t) => changes.push(t));
    store.add('acme', 'https://b.example');
    store.remove('acme', 'https://a.example');
    store.replace({ globex: ['https://g.example'] });
    stop();
    store.add('acme', 'https://c.example');
    expect(changes).toEqual(['acme', 'acme', undefined]);
  });
});

describe('per-tenant origins through the policy', () => {
  it('looks origins up per tenant, varies on a tenant header and applies changes at once', async () => {
    const store = new MemoryOriginStore({ acme: ['https://shop.acme.example'], globex: ['https://portal.globex.example'] });
    const s = testSentinel({ origins: ['https://app.example.com'], originStore: store, tenantFrom: { header: 'X-Tenant' } });
    const ask = (tenant: string | undefined, origin: string) =>
      s.decide({ method: 'GET', path: '/', origin, target: '/', headers: tenant ? { 'x-tenant': tenant } : {} });
    expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('allowed');
    expect((await ask('globex', 'https://shop.acme.example')).outcome).toBe('rejected');
    expect((await ask(undefined, 'https://shop.acme.example')).outcome).toBe('rejected');
    expect((await ask('acme', 'https://shop.acme.example')).vary).toEqual(['Origin', 'X-Tenant']);
    store.add('globex', 'https://shop.acme.example');
    expect((await ask('globex', 'https://shop.acme.example')).outcome).toBe('allowed');
    store.remove('acme', 'https://shop.acme.example');
    expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('rejected');
    s.close();
    store.add('acme', 'https://shop.acme.example');
    expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('rejected'); // closed: no longer watching
  });

  it('reads the tenant from the query or the path, and ignores malformed tenant ids', async () => {
    const store = new MemoryOriginStore({ acme: ['https://shop.acme.example'] });
    const byQuery = testSentinel({ originStore: store, tenantFrom: { query: 'client_id' } });
    const byPath = testSentinel({ originStore: store, tenantFrom: { path: /^\/t\/([^/]+)\// } });
    const origin = 'https://shop.acme.example';
    expect((await byQuery.decide({ method: 'GET', path: '/x', origin, target: '/x?a=1&client_id=acme' })).outcome).toBe('allowed');
    expect((await byQuery.decide({ method: 'GET', path: '/x', origin, target: '/x?client_id=ac%0Ame' })).outcome).toBe('rejected');
    expect((await byPath.decide({ method: 'GET', path: '/t/acme/x', origin, target: '/t/acme/x' })).outcome).toBe('allowed');
    expect((await byPath.decide({ method: 'GET', path: '/t/other/x', origin, target: '/t/other/x' })).outcome).toBe('rejected');
    expect(() => testSentinel({ originStore: store, tenantFrom: { path: /^\/t\// } })).toThrow(/capture group/);
  });
});

describe('TenantOriginCache', () => {
  it('caps loads per second and fails closed beyond', async () => {
    let now = 0;
    const cache = new TenantOriginCache({ originsFor: () => new Set(['https://a.example']) }, { ttlMs: 1000, maxTenants: 100, maxLoadsPerSecond: 3 }, () => now);
    for (const t of ['t1', 't2', 't3']) expect(await cache.isAllowed('https://a.example', t)).toBe(true);
    await expect(cache.isAllowed('https://a.example', 't4')).rejects.toBeInstanceOf(StoreOverloadedError);
    expect(cache.isAllowed('https://a.example', 't1')).toBe(true); // cached tenants are unaffected
    now += 1000;
    expect(await cache.isAllowed('https://a.example', 't4')).toBe(true);
  });
});
