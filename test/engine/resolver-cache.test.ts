import { ResolverCache, type ResolverCacheOptions, type ResolverOutcome, type CacheResult } from '../../packages/cors-sentinel/src/engine/resolver-cache';

const OPTIONS: ResolverCacheOptions = { ttlMs: 1000, negativeTtlMs: 500, failureTtlMs: 100, maxEntries: 3, timeoutMs: 50, maxConcurrent: 2 };

function setup(fn: (origin: string) => boolean | Promise<boolean>, options: Partial<ResolverCacheOptions> = {}) {
  let now = 0;
  const calls: string[] = [];
  const events: Array<ResolverOutcome | CacheResult> = [];
  const cache = new ResolverCache((o) => (calls.push(o), fn(o)), { ...OPTIONS, ...options }, () => now);
  cache.addObserver({ lookup: (outcome) => events.push(outcome), cache: (r) => events.push(r) });
  return { cache, calls, events, advance: (ms: number) => (now += ms) };
}

describe('ResolverCache', () => {
  it('caches allowed and denied answers for their own TTLs', () => {
    const { cache, calls, advance } = setup((o) => o.startsWith('https://ok'));
    expect(cache.resolve('https://ok.example', null)).toBe('allowed');
    expect(cache.resolve('https://no.example', null)).toBe('denied');
    advance(499);
    cache.resolve('https://ok.example', null);
    cache.resolve('https://no.example', null);
    expect(calls).toHaveLength(2);
    advance(2); // the negative entry expired, the positive one did not
    cache.resolve('https://ok.example', null);
    cache.resolve('https://no.example', null);
    expect(calls).toEqual(['https://ok.example', 'https://no.example', 'https://no.example']);
  });

  it('shares one in-flight lookup between concurrent requests for an origin', async () => {
    let release!: (v: boolean) => void;
    const { cache, calls, events } = setup(() => new Promise<boolean>((r) => (release = r)), { timeoutMs: 5000 });
    const a = cache.resolve('https://t.example', null);
    const b = cache.resolve('https://t.example', null);
    release(true);
    expect(await a).toBe('allowed');
    expect(await b).toBe('allowed');
    expect(calls).toHaveLength(1);
    expect(events).toEqual(['miss', 'coalesced', 'allowed']);
    expect(cache.resolve('https://t.example', null)).toBe('allowed');
  });

  it('fails closed on a throw, a rejection and a timeout, and remembers failures briefly', async () => {
    const thrower = setup(() => { throw new Error('boom'); });
    expect(thrower.cache.resolve('https://a.example', null)).toBe('error');
    expect(thrower.cache.resolve('https://a.example', null)).toBe('error');
    expect(thrower.calls).toHaveLength(1);
    thrower.advance(101);
    thrower.cache.resolve('https://a.example', null);
    expect(thrower.calls).toHaveLength(2);

    const rejecter = setup(() => Promise.reject(new Error('down')));
    expect(await rejecter.cache.resolve('https://a.example', null)).toBe('error');

    const hang = setup(() => new Promise<boolean>(() => undefined));
    const started = Date.now();
    expect(await hang.cache.resolve('https://a.example', null)).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps a slow answer that arrives after the timeout for the next request', async () => {
    const { cache } = setup(() => new Promise<boolean>((r) => setTimeout(() => r(true), 80)));
    expect(await cache.resolve('https://slow.example', null)).toBe('timeout');
    await new Promise((r) => setTimeout(r, 100));
    expect(cache.resolve('https://slow.example', null)).toBe('allowed');
  });

  it('bounds its size (oldest out) and its concurrent lookups', async () => {
    const { cache, calls } = setup(() => true);
    for (const o of ['https://1.example', 'https://2.example', 'https://3.example', 'https://4.example']) cache.resolve(o, null);
    expect(cache.size).toBe(3);
    cache.resolve('https://1.example', null);
    expect(calls.filter((c) => c === 'https://1.example')).toHaveLength(2);

    const hanging = setup(() => new Promise<boolean>(() => undefined), { timeoutMs: 10_000 });
    void hanging.cache.resolve('https://h1.example', null);
    void hanging.cache.resolve('https://h2.example', null);
    expect(hanging.cache.resolve('https://h3.example', null)).toBe('error');
    expect(hanging.calls).toHaveLength(2);
  });

  it('can be invalidated', () => {
    const { cache, calls } = setup(() => true);
    cache.resolve('https://a.example', null);
    cache.invalidate('https://a.example');
    cache.resolve('https://a.example', null);
    expect(calls).toHaveLength(2);
  });
});
