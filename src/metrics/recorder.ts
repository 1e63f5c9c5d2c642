/**
 * Observes decisions: counts them in the metric contract. Runs once per request, so every series is
 * found without building a string key and counted in a batch (./batch) rather than through
 * prom-client's per-call label hashing.
 */
import type { Counter, Histogram } from 'prom-client';
import { INVALID_ORIGIN_LABEL, type Decision } from '../engine/decision';
import type { CacheResult, ResolverObserver, ResolverOutcome } from '../engine/resolver-cache';
import type { CompiledPolicy } from '../policy/compiled';
import { addDistinctSource, type CorsMetrics } from './metrics';
import { CounterBatch, type CounterSeries } from './batch';
import { DEFAULT_WINDOWS, hashOrigin, SlidingHyperLogLog } from './distinct-origins';
import type { LabelResult, OriginLabeler } from './origin-labeler';

type CounterChild = Counter.Internal;

import type { ShadowChange } from '../contract';
export type { ShadowChange };
type HistogramChild = Histogram.Internal<string>;

interface RouteChildren {
  nonCors: CounterSeries | undefined;
  /** [preflight allowed, preflight rejected, actual allowed, actual rejected] → by origin label. */
  readonly requests: readonly Map<string, CounterSeries>[];
  /** [preflight, actual] → by reason. */
  readonly violations: readonly Map<string, CounterSeries>[];
  /** [allowed, rejected] */
  readonly preflight: Array<HistogramChild | undefined>;
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
  private readonly removeDistinctSource: () => void;

  private readonly requests: CounterBatch<'route' | 'request_type' | 'outcome' | 'origin'>;
  private readonly violations: CounterBatch<'route' | 'request_type' | 'reason'>;
  private readonly nonCors: CounterBatch<'route'>;
  private readonly overflow: CounterSeries;
  private readonly overflowBatch: CounterBatch<string>;
  /** A resolver's cache answers every request of its route. */
  private readonly resolverCache: CounterBatch<'result'>;
  private readonly cacheSeries = new Map<CacheResult, CounterSeries>();
  private slotsPublished: number;

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
    this.removeDistinctSource = addDistinctSource(metrics, () => this.distinct.map((h) => [h.spec.label, h.estimate()] as const));
  }

  /** Hands over the pending counts and stops contributing to scrape-time gauges. */
  close(): void {
    for (const batch of [this.requests, this.violations, this.nonCors, this.overflowBatch, this.resolverCache]) batch.close();
    this.removeDistinctSource();
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
    const byOrigin = children.requests[(preflight ? 0 : 2) + (outcome === 'allowed' ? 0 : 1)] as Map<string, CounterSeries>;
    // Labels are sticky: a series keyed by the origin itself is that origin's series for good, so the
    // common case (a known origin) needs no labeler. Patterns and __other__ are never origins.
    const own = decision.origin === undefined ? undefined : byOrigin.get(decision.origin);
    if (own !== undefined) {
      own.inc();
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
      const hash = hashOrigin(seen);
      for (const sketch of this.distinct) sketch.addHash(hash);
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
    byOrigin: Map<string, CounterSeries>,
    route: string,
    requestType: 'preflight' | 'actual',
    outcome: 'allowed' | 'rejected',
    labelled: LabelResult,
  ): void {
    if (labelled.overflow) this.overflow.inc();
    // Slots change when this process takes one, and in a cluster when the primary says they are
    // full and lists them (that request is folded, not a new slot): follow the count, not the event.
    const used = this.labeler.slotsUsed;
    if (used !== this.slotsPublished) {
      this.slotsPublished = used;
      this.metrics.originLabelValues.set(used);
    }
    const label = labelled.label;
    let series = byOrigin.get(label);
    if (series === undefined) byOrigin.set(label, (series = this.requests.open({ route, request_type: requestType, outcome, origin: label })));
    series.inc();
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
