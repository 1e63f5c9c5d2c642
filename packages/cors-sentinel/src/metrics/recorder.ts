/**
 * Observes decisions: counts them in the metric contract. Runs once per request, so every series is
 * found without building a string key and counted in a batch (./batch) rather than through
 * prom-client's per-call label hashing.
 */
import type { Counter } from 'prom-client';
import { INVALID_ORIGIN_LABEL, type Decision } from '../engine/decision';
import type { CacheResult, ResolverObserver, ResolverOutcome } from '../engine/resolver-cache';
import type { CompiledPolicy } from '../engine/compiled';
import { addDistinctSource, type CorsMetrics } from './metrics';
import { CounterBatch, type CounterSeries } from './batch';
import { DEFAULT_WINDOWS, getHashSeed, hashOrigin, onHashSeedChange, SlidingHyperLogLog } from './distinct-origins';
import type { LabelResult, OriginLabeler } from './origin-labeler';

type CounterChild = Counter.Internal;

import type { ShadowChange } from '../contract';
import type { HistogramSeries } from './histogram';
export type { ShadowChange };

/** A request series of one origin label; `slotted`: the origin holds a guard slot (its requests feed the guard). */
interface OriginSeries {
  readonly series: CounterSeries;
  readonly slotted: boolean;
}

interface RouteChildren {
  nonCors: CounterSeries | undefined;
  /** [preflight allowed, preflight rejected, actual allowed, actual rejected] → by origin label. */
  readonly requests: readonly Map<string, OriginSeries>[];
  /** [preflight, actual] → by reason. */
  readonly violations: readonly Map<string, CounterSeries>[];
  /** [allowed, rejected] */
  readonly preflight: Array<HistogramSeries | undefined>;
}

function newRouteChildren(): RouteChildren {
  return {
    nonCors: undefined,
    requests: [new Map(), new Map(), new Map(), new Map()],
    violations: [new Map(), new Map()],
    preflight: [undefined, undefined],
  };
}

export class MetricsRecorder implements ResolverObserver {
  /** Label children per route, indexed without building string keys on the hot path. */
  private readonly routes = new Map<string, RouteChildren>();
  private readonly findingChildren = new Map<string, CounterChild>();
  private readonly shadowChildren = new Map<string, CounterChild>();

  /** Distinct rejected origins per window, in fixed memory (the label guard folds them). */
  private readonly distinct = DEFAULT_WINDOWS.map((w) => new SlidingHyperLogLog(w));
  /**
   * The last rejected origin's hash: a frontend that is turned away sends the same origin again and
   * again, and re-adding a known hash needs no new one. Keyed by the seed too (a worker adopts its
   * primary's). A scan of new origins hashes each, as before.
   */
  private readonly lastRejected = { origin: '', seed: -1, hash: 0 };
  private readonly removeDistinctSource: () => void;
  private readonly stopFollowingSeed: () => void;

  private readonly requests: CounterBatch<'route' | 'request_type' | 'outcome' | 'origin'>;
  private readonly violations: CounterBatch<'route' | 'request_type' | 'reason'>;
  private readonly nonCors: CounterBatch<'route'>;
  private readonly overflow: CounterSeries;
  private readonly overflowBatch: CounterBatch<string>;
  /** A resolver's cache answers every request of its route. */
  private readonly resolverCache: CounterBatch<'result'>;
  private readonly cacheSeries = new Map<CacheResult, CounterSeries>();
  private slotsPublished: number;
  /** Series of origins that lost their label, kept (not counted into) until Prometheus has scraped their last value. */
  private readonly retiring = new Map<string, { timer: NodeJS.Timeout; parts: Array<readonly [Map<string, OriginSeries>, OriginSeries]> }>();

  constructor(
    readonly metrics: CorsMetrics,
    readonly labeler: OriginLabeler,
  ) {
    this.requests = new CounterBatch(metrics.requests);
    this.violations = new CounterBatch(metrics.violations);
    this.nonCors = new CounterBatch(metrics.nonCorsRequests);
    this.overflowBatch = new CounterBatch(metrics.originLabelOverflow);
    this.overflow = this.overflowBatch.open({});
    this.resolverCache = new CounterBatch(metrics.resolverCache);
    metrics.originLabelLimit.set(labeler.limit);
    this.slotsPublished = labeler.slotsUsed;
    metrics.originLabelValues.set(labeler.slotsUsed);
    this.removeDistinctSource = addDistinctSource(metrics, () => this.distinct.map((h) => [h.spec.label, h.registers()] as const));
    // Registers filled with another seed cannot be merged with the new seed's: start over.
    this.stopFollowingSeed = onHashSeedChange(() => {
      for (const sketch of this.distinct) sketch.clear();
    });
    labeler.onRelease((origins) => this.retire(origins));
  }

  /**
   * Origins lost their label: their requests are folded from now on, and their series are removed
   * after one hold period (time for Prometheus to scrape their last value), unless the origin wins a
   * label back meanwhile. This bounds the series an origin scan leaves behind.
   */
  private retire(origins: readonly string[]): void {
    for (const origin of origins) {
      const parts: Array<readonly [Map<string, OriginSeries>, OriginSeries]> = [];
      for (const children of this.routes.values()) {
        for (const byOrigin of children.requests) {
          const s = byOrigin.get(origin);
          if (s === undefined) continue;
          byOrigin.delete(origin);
          parts.push([byOrigin, s]);
        }
      }
      if (parts.length === 0) continue;
      const timer = setTimeout(() => {
        this.retiring.delete(origin);
        for (const [, s] of parts) this.requests.remove(s.series);
      }, this.labeler.holdMs);
      timer.unref();
      this.retiring.set(origin, { timer, parts });
    }
    this.publishSlots();
  }

  private publishSlots(): void {
    const used = this.labeler.slotsUsed;
    if (used === this.slotsPublished) return;
    this.slotsPublished = used;
    this.metrics.originLabelValues.set(used);
  }

  /** Hands over the pending counts and stops contributing to scrape-time gauges. */
  close(): void {
    for (const batch of [this.requests, this.violations, this.nonCors, this.overflowBatch, this.resolverCache]) batch.close();
    this.removeDistinctSource();
    this.stopFollowingSeed();
    this.labeler.close();
    for (const { timer } of this.retiring.values()) clearTimeout(timer);
    this.retiring.clear();
  }

  /** Publishes the policy's posture in `config_info`. */
  describePolicy(policy: CompiledPolicy): void {
    const protection = policy.crossOriginProtection?.summary;
    for (const route of [policy.defaultRoute, ...policy.routes]) {
      this.metrics.configInfo.set(
        {
          route: route.name, policy_hash: policy.hash, origin_policy: route.originPolicy, credentials: String(route.credentials),
          cross_origin_protection: protection?.mode ?? 'off', cross_origin_bypass: protection?.bypass.join(',') ?? '',
        },
        1,
      );
    }
  }

  /** Counts one decision. `seconds` is the time to answer, for preflights. */
  record(decision: Decision, seconds: number, rawOrigin?: string): void {
    const { route, requestType, outcome } = decision;
    let children = this.routes.get(route);
    if (children === undefined) this.routes.set(route, (children = newRouteChildren()));
    if (requestType === 'non_cors' || outcome === undefined) {
      (children.nonCors ??= this.nonCors.open({ route })).inc();
      return;
    }
    const preflight = requestType === 'preflight';
    const byOrigin = children.requests[(preflight ? 0 : 2) + (outcome === 'allowed' ? 0 : 1)] as Map<string, OriginSeries>;
    // A series keyed by the origin itself is that origin's series while it holds its label (it is
    // dropped from the map when the label goes), so the common case is one lookup. Patterns and
    // __other__ are never origins.
    const own = decision.origin === undefined ? undefined : byOrigin.get(decision.origin);
    if (own !== undefined) {
      own.series.inc();
      if (own.slotted) this.labeler.seen(decision.origin as string, outcome === 'allowed');
    } else {
      const labelled = this.labeler.label(decision);
      if (labelled instanceof Promise) {
        // A cluster primary is deciding on this origin's slot: count the request once it has.
        void labelled.then((l) => this.countRequest(byOrigin, route, requestType, outcome, l));
      } else {
        this.countRequest(byOrigin, route, requestType, outcome, labelled);
      }
    }

    if (outcome === 'rejected') {
      // Invalid origins share one label but are distinct origins all the same.
      const seen = decision.origin === INVALID_ORIGIN_LABEL && rawOrigin !== undefined ? rawOrigin : (decision.origin ?? '');
      const seed = getHashSeed();
      const last = this.lastRejected;
      if (last.origin !== seen || last.seed !== seed) {
        last.hash = hashOrigin(seen, seed);
        last.origin = seen;
        last.seed = seed;
      }
      const now = Date.now();
      for (const sketch of this.distinct) sketch.addHash(last.hash, now);
    }
    const reason = decision.reason;
    if (reason !== undefined) {
      const byReason = children.violations[preflight ? 0 : 1] as Map<string, CounterSeries>;
      let v = byReason.get(reason);
      if (v === undefined) byReason.set(reason, (v = this.violations.open({ route, request_type: requestType, reason })));
      v.inc();
    }
    if (preflight) {
      const i = outcome === 'allowed' ? 0 : 1;
      let h = children.preflight[i];
      if (h === undefined) children.preflight[i] = h = this.metrics.preflightDuration.labels(route, outcome);
      h.observe(seconds);
    }
  }

  private countRequest(
    byOrigin: Map<string, OriginSeries>,
    route: string,
    requestType: 'preflight' | 'actual',
    outcome: 'allowed' | 'rejected',
    labelled: LabelResult,
  ): void {
    if (labelled.overflow) this.overflow.inc();
    // Slots change when this process takes one, and in a cluster when the primary's label state
    // arrives with an answer: follow the count, not the event.
    this.publishSlots();
    const label = labelled.label;
    let entry = byOrigin.get(label);
    if (entry === undefined) {
      this.unretire(label);
      entry = byOrigin.get(label);
    }
    if (entry === undefined) {
      const slotted = !labelled.overflow && !this.labeler.isFixed(label);
      byOrigin.set(label, (entry = { series: this.requests.open({ route, request_type: requestType, outcome, origin: label }), slotted }));
    }
    entry.series.inc();
  }

  /** An origin won its label back before its old series were removed: count into them again. */
  private unretire(origin: string): void {
    const retiring = this.retiring.get(origin);
    if (retiring === undefined) return;
    clearTimeout(retiring.timer);
    this.retiring.delete(origin);
    for (const [map, s] of retiring.parts) map.set(origin, s);
  }

  finding(finding: string): void {
    let child = this.findingChildren.get(finding);
    if (child === undefined) this.findingChildren.set(finding, (child = this.metrics.responseFindings.labels(finding)));
    child.inc();
  }

  /** Counts one disagreement of the report-only candidate policy with the live answer. */
  shadow(route: string, change: ShadowChange): void {
    const key = `${route}\u0000${change}`;
    let child = this.shadowChildren.get(key);
    if (child === undefined) this.shadowChildren.set(key, (child = this.metrics.shadowDecisions.labels(route, change)));
    child.inc();
  }

  lookup(outcome: ResolverOutcome, seconds: number): void {
    this.metrics.resolverDuration.observe({ result: outcome }, seconds);
  }

  cache(result: CacheResult): void {
    let series = this.cacheSeries.get(result);
    if (series === undefined) this.cacheSeries.set(result, (series = this.resolverCache.open({ result })));
    series.inc();
  }
}
