/**
 * Wraps a user's origin resolver with what makes it safe to put in front of every request:
 * a TTL cache (positive, negative and a short one for failures), single-flight per origin,
 * a timeout, a cap on concurrent lookups, and fail-closed answers.
 */
export type ResolverOutcome = 'allowed' | 'denied' | 'error' | 'timeout';
export type CacheResult = 'hit' | 'miss' | 'coalesced';

export interface ResolverObserver {
  lookup(outcome: ResolverOutcome, seconds: number): void;
  cache(result: CacheResult): void;
}

export interface ResolverCacheOptions {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  /** Errors and timeouts are remembered briefly, so an outage does not send every request to the database. */
  readonly failureTtlMs: number;
  readonly maxEntries: number;
  readonly timeoutMs: number;
  /** Beyond this many unanswered lookups, new ones fail at once as `error`. */
  readonly maxConcurrent: number;
}

interface Entry {
  readonly outcome: ResolverOutcome;
  readonly expires: number;
}

export type ResolveFn = (origin: string, raw: unknown) => boolean | Promise<boolean>;

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
   * The outcome for an origin: synchronously when cached (or when the resolver answers synchronously),
   * otherwise a promise that never rejects.
   */
  resolve(origin: string, raw: unknown): ResolverOutcome | Promise<ResolverOutcome> {
    const entry = this.entries.get(origin);
    if (entry !== undefined) {
      if (entry.expires > this.now()) {
        this.notifyCache('hit');
        return entry.outcome;
      }
      this.entries.delete(origin);
    }
    const pending = this.inflight.get(origin);
    if (pending !== undefined) {
      this.notifyCache('coalesced');
      return pending;
    }
    this.notifyCache('miss');
    return this.lookup(origin, raw);
  }

  /** Drops cached answers: all of them, or one origin's (e.g. when a tenant's domains change). */
  invalidate(origin?: string): void {
    if (origin === undefined) this.entries.clear();
    else this.entries.delete(origin);
  }

  get size(): number {
    return this.entries.size;
  }

  private lookup(origin: string, raw: unknown): ResolverOutcome | Promise<ResolverOutcome> {
    const started = performance.now();
    if (this.running >= this.options.maxConcurrent) return this.settle(origin, 'error', started);

    let answer: boolean | Promise<boolean>;
    try {
      answer = this.fn(origin, raw);
    } catch {
      return this.settle(origin, 'error', started);
    }
    if (!isPromiseLike(answer)) return this.settle(origin, answer === true ? 'allowed' : 'denied', started);

    this.running++;
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
      this.inflight.delete(origin);
      timedOut = outcome === 'timeout';
      return this.settle(origin, outcome, started);
    });
    // A slow answer that arrives after the timeout still fills the cache for the next request.
    void call.then((outcome) => {
      this.running--;
      if (timedOut && outcome !== 'error') this.store(origin, outcome);
    });
    this.inflight.set(origin, shared);
    return shared;
  }

  private settle(origin: string, outcome: ResolverOutcome, started: number): ResolverOutcome {
    this.store(origin, outcome);
    const seconds = (performance.now() - started) / 1000;
    for (const o of this.observers) o.lookup(outcome, seconds);
    return outcome;
  }

  private store(origin: string, outcome: ResolverOutcome): void {
    const ttl =
      outcome === 'allowed' ? this.options.ttlMs : outcome === 'denied' ? this.options.negativeTtlMs : this.options.failureTtlMs;
    if (ttl <= 0) return;
    this.entries.delete(origin);
    this.entries.set(origin, { outcome, expires: this.now() + ttl });
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
