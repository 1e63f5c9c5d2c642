import { MemoryOriginStore } from '../../packages/cors-sentinel/src/stores/memory';
import { TenantOriginCache, StoreOverloadedError } from '../../packages/cors-sentinel/src/stores/tenant-cache';
import { testSentinel } from '../support/sentinel';

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
  it('looks origins up per tenant (bound by the host) and applies changes at once', async () => {
    const store = new MemoryOriginStore({ acme: ['https://shop.acme.example'], globex: ['https://portal.globex.example'] });
    const s = testSentinel({ origins: ['https://app.example.com'], originStore: store, tenantFrom: { host: /^([a-z0-9-]+)\.api\.example\.com$/ } });
    const ask = (tenant: string | undefined, origin: string) =>
      s.decide({ method: 'GET', path: '/', origin, host: tenant ? `${tenant}.api.example.com:8443` : 'api.example.com', target: '/', headers: {} });
    expect((await ask('acme', 'https://shop.acme.example')).outcome).toBe('allowed');
    expect((await ask('globex', 'https://shop.acme.example')).outcome).toBe('rejected');
    expect((await ask(undefined, 'https://shop.acme.example')).outcome).toBe('rejected');
    expect((await ask('acme', 'https://shop.acme.example')).vary).toEqual(['Origin']);
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

describe('TenantOriginCache under a flood of unknown tenant ids', () => {
  it('caches unknown tenants as negative, never evicts known ones for them, and reloads known tenants on their own budget', async () => {
    let now = 0;
    let loads = 0;
    const store = { originsFor: (t: string) => (loads++, t === 'acme' ? new Set(['https://shop.acme.example']) : new Set<string>()) };
    const cache = new TenantOriginCache(store, { ttlMs: 100, maxTenants: 3, maxLoadsPerSecond: 5, unknownTtlMs: 1000 }, () => now);
    expect(await cache.isAllowed('https://shop.acme.example', 'acme')).toBe(true);
    // acme's first load and four unknown ids spend the budget of tenants not known yet; each unknown one is cached as negative.
    for (let i = 0; i < 4; i++) expect(await cache.isAllowed('https://x.example', `rnd${i}`)).toBe(false);
    await expect(cache.isAllowed('https://x.example', 'rnd-over-budget')).rejects.toBeInstanceOf(StoreOverloadedError);
    const before = loads;
    expect(cache.isAllowed('https://x.example', 'rnd1')).toBe(false); // negative, synchronous, no load
    expect(loads).toBe(before);
    // acme's entry expires: more unknown ids than maxTenants did not push it out, and its reload is on the known budget.
    now += 150;
    expect(await cache.isAllowed('https://shop.acme.example', 'acme')).toBe(true);
    expect(loads).toBe(before + 1);
  });
});
