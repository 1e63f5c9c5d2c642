/**
 * Which probes the exporter runs. Scrapes of the same target and module while a probe of it runs join
 * that probe (one set of requests to the target, one answer for all of them); a probe whose scrapers
 * have all left is cancelled (its requests aborted) and gives its slot back; and no target may hold
 * more than `maxConcurrentProbesPerTarget` of the `maxConcurrentProbes` slots, so that one slow target
 * cannot starve the others.
 */
import type { Registry } from 'prom-client';

export interface SchedulerLimits {
  readonly maxConcurrentProbes: number;
  readonly maxConcurrentProbesPerTarget: number;
}

/** Runs one probe; `signal` aborts it. */
export type RunProbe = (signal: AbortSignal) => Promise<Registry>;

export type Ticket =
  | { readonly kind: 'started' | 'joined'; readonly result: Promise<Registry>; /** This scraper left before the answer. */ leave(): void }
  | { readonly kind: 'busy'; readonly message: string };

interface SharedProbe {
  readonly result: Promise<Registry>;
  readonly cancel: AbortController;
  clients: number;
  settled: boolean;
}

export class ProbeScheduler {
  private readonly running = new Map<string, SharedProbe>();
  private readonly perTarget = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly limits: SchedulerLimits,
    private readonly onCancelled: () => void,
  ) {}

  /** A scrape of `target` with `module`: joins the running probe of both, starts one, or is refused. */
  request(target: string, module: string, run: RunProbe): Ticket {
    const key = `${module}\u0000${target}`;
    const shared = this.running.get(key);
    if (shared) {
      shared.clients++;
      return { kind: 'joined', result: shared.result, leave: () => this.leave(key, shared) };
    }
    const { maxConcurrentProbes, maxConcurrentProbesPerTarget } = this.limits;
    if (this.total >= maxConcurrentProbes) {
      return { kind: 'busy', message: `too many probes at once (maxConcurrentProbes ${maxConcurrentProbes}): lower the scrape frequency or raise the limit` };
    }
    const ofTarget = this.perTarget.get(target) ?? 0;
    if (ofTarget >= maxConcurrentProbesPerTarget) {
      return { kind: 'busy', message: `too many probes of ${target} at once (maxConcurrentProbesPerTarget ${maxConcurrentProbesPerTarget}): other targets keep their slots` };
    }
    this.total++;
    this.perTarget.set(target, ofTarget + 1);
    const cancel = new AbortController();
    const result = run(cancel.signal).finally(() => {
      this.total--;
      const left = (this.perTarget.get(target) ?? 1) - 1;
      if (left === 0) this.perTarget.delete(target);
      else this.perTarget.set(target, left);
      if (this.running.get(key) === started) this.running.delete(key);
      started.settled = true;
    });
    const started: SharedProbe = { result, cancel, clients: 1, settled: false };
    this.running.set(key, started);
    return { kind: 'started', result, leave: () => this.leave(key, started) };
  }

  private leave(key: string, shared: SharedProbe): void {
    if (--shared.clients > 0 || shared.settled || shared.cancel.signal.aborted) return;
    // Nobody waits for this answer any more: stop contacting the target, and let a later scrape start afresh.
    if (this.running.get(key) === shared) this.running.delete(key);
    shared.cancel.abort();
    this.onCancelled();
  }
}
