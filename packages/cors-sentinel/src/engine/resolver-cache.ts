/**
 * Wraps a user's origin resolver with what makes it safe to put in front of every request:
 * a TTL cache (positive, negative and a short one for failures), single-flight per origin,
 * a timeout, a cap on concurrent lookups, and fail-closed answers.
 */
import type { ResolveFn } from '../policy/origin-setting';
import type { ResolverLimits } from '../policy/route-settings';
export type { ResolveFn };

export type ResolverOutcome = 'allowed' | 'denied' | 'error' | 'timeout';
export type CacheResult = 'hit' | 'miss' | 'coalesced';

export interface ResolverObserver {
  lookup(outcome: ResolverOutcome, seconds: number): void;
  cache(result: CacheResult): void;
}

/** The cache's limits: validated by the policy step, which declares their shape. */
export type ResolverCacheOptions = ResolverLimits;

interface Entry {
  readonly outcome: ResolverOutcome;
  readonly expires: number;
}

export class ResolverCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<ResolverOutcome>>();
  private running = 0;
  private observers: ResolverObserver[] = [];

  constructor(
    private readonly fn: ResolveFn,
    readonly options: ResolverCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  addObserver(observer: ResolverObserver): void {
    this.observers.push(observer);
  }

  /**
   * The outcome for an origin (of a tenant): synchronously when cached (or when the resolver answers
   * synchronously), otherwise a promise that never rejects.
   */
  resolve(origin: string, raw: unknown, tenant?: string): ResolverOutcome | Promise<ResolverOutcome> {
    // Tenant ids cannot contain control characters, so "\n" cannot make two keys collide.
    const key = tenant === undefined ? origin : `${tenant}\n${origin}`;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expires > this.now()) {
        this.notifyCache('hit');
        return entry.outcome;
      }
      this.entries.delete(key);
    }
    const pending = this.inflight.get(key);
    if (pending !== undefined) {
      this.notifyCache('coalesced');
      return pending;
    }
    this.notifyCache('miss');
    return this.lookup(key, origin, raw, tenant);
  }

  /** Drops cached answers: all of them (e.g. when a tenant's domains change), or one origin's. */
  invalidate(origin?: string, tenant?: string): void {
    if (origin === undefined) this.entries.clear();
    else this.entries.delete(tenant === undefined ? origin : `${tenant}\n${origin}`);
  }

  get size(): number {
    return this.entries.size;
  }

  private lookup(key: string, origin: string, raw: unknown, tenant: string | undefined): ResolverOutcome | Promise<ResolverOutcome> {
    const started = performance.now();
    if (this.running >= this.options.maxConcurrent) return this.settle(key, 'error', started);

    let answer: boolean | Promise<boolean>;
    try {
      answer = this.fn(origin, raw, tenant);
    } catch {
      return this.settle(key, 'error', started);
    }
    if (!isPromiseLike(answer)) return this.settle(key, answer === true ? 'allowed' : 'denied', started);

    // The slot is held until the lookup answers or times out, whichever comes first: a lookup that
    // never answers (a hung connection) must not keep its slot, or a few of them refuse everything for good.
    this.running++;
    let holdsSlot = true;
    const releaseSlot = (): void => {
      if (holdsSlot) this.running--;
      holdsSlot = false;
    };
    const call = Promise.resolve(answer).then(
      (allowed): ResolverOutcome => (allowed === true ? 'allowed' : 'denied'),
      (): ResolverOutcome => 'error',
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ResolverOutcome>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs);
      timer.unref();
    });
    let timedOut = false;
    const shared = Promise.race([call, timeout]).then((outcome) => {
      clearTimeout(timer);
      releaseSlot();
      this.inflight.delete(key);
      timedOut = outcome === 'timeout';
      return this.settle(key, outcome, started);
    });
    // A slow answer that arrives after the timeout still fills the cache for the next request.
    void call.then((outcome) => {
      releaseSlot();
      if (timedOut && outcome !== 'error') this.store(key, outcome);
    });
    this.inflight.set(key, shared);
    return shared;
  }

  private settle(key: string, outcome: ResolverOutcome, started: number): ResolverOutcome {
    this.store(key, outcome);
    const seconds = (performance.now() - started) / 1000;
    for (const o of this.observers) o.lookup(outcome, seconds);
    return outcome;
  }

  private store(key: string, outcome: ResolverOutcome): void {
    const ttl =
      outcome === 'allowed' ? this.options.ttlMs : outcome === 'denied' ? this.options.negativeTtlMs : this.options.failureTtlMs;
    if (ttl <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { outcome, expires: this.now() + ttl });
    if (this.entries.size > this.options.maxEntries) {
      // Map iteration order is insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  private notifyCache(result: CacheResult): void {
    for (const o of this.observers) o.cache(result);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<boolean> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
