/**
 * Observes decisions: counts them in the metric contract. Runs once per request, so label children
 * are cached (prom-client's `labels()` hashes its arguments on every call).
 */
import type { Counter, Histogram } from 'prom-client';
import { INVALID_ORIGIN_LABEL, type Decision } from '../engine/decision';
import type { CacheResult, ResolverObserver, ResolverOutcome } from '../engine/resolver-cache';
import type { CompiledPolicy } from '../policy/compiled';
import { addDistinctSource, type CorsMetrics } from './metrics';
import { DEFAULT_WINDOWS, SlidingHyperLogLog } from './distinct-origins';
import { OriginLabeler } from './origin-labeler';

type CounterChild = Counter.Internal;

/** `would_reject`: live allowed, the candidate would reject; `would_allow`: the other way round. */
export type ShadowChange = 'would_reject' | 'would_allow';
type HistogramChild = Histogram.Internal<string>;

export class MetricsRecorder implements ResolverObserver {
  private readonly requestChildren = new Map<string, CounterChild>();
  private readonly violationChildren = new Map<string, CounterChild>();
  private readonly nonCorsChildren = new Map<string, CounterChild>();
  private readonly preflightChildren = new Map<string, HistogramChild>();
  private readonly findingChildren = new Map<string, CounterChild>();
  private readonly shadowChildren = new Map<string, CounterChild>();

  /** Distinct rejected origins per window, in fixed memory (the label guard folds them). */
  private readonly distinct = DEFAULT_WINDOWS.map((w) => new SlidingHyperLogLog(w));
  private readonly removeDistinctSource: () => void;

  constructor(
    readonly metrics: CorsMetrics,
    readonly labeler: OriginLabeler,
  ) {
    metrics.originLabelLimit.set(labeler.limit);
    metrics.originLabelValues.set(labeler.slotsUsed);
    this.removeDistinctSource = addDistinctSource(metrics, () => this.distinct.map((h) => [h.spec.label, h.estimate()] as const));
  }

  /** Stops contributing to scrape-time gauges. */
  close(): void {
    this.removeDistinctSource();
  }

  /** Publishes the policy's posture in `config_info`. */
  describePolicy(policy: CompiledPolicy): void {
    for (const route of [policy.defaultRoute, ...policy.routes]) {
      this.metrics.configInfo.set(
        { route: route.name, policy_hash: policy.hash, origin_policy: route.originPolicy, credentials: String(route.credentials) },
        1,
      );
    }
  }

  /** Counts one decision. `seconds` is the time to answer, for preflights. */
  record(decision: Decision, seconds: number, rawOrigin?: string): void {
    const { route, requestType, outcome } = decision;
    if (requestType === 'non_cors' || outcome === undefined) {
      let child = this.nonCorsChildren.get(route);
      if (child === undefined) this.nonCorsChildren.set(route, (child = this.metrics.nonCorsRequests.labels(route)));
      child.inc();
      return;
    }
    const labelled = this.labeler.label(decision);
    if (labelled.overflow) this.metrics.originLabelOverflow.inc();
    if (labelled.newSlot) this.metrics.originLabelValues.set(this.labeler.slotsUsed);

    const key = `${route}\u0000${requestType}\u0000${outcome}\u0000${labelled.label}`;
    let child = this.requestChildren.get(key);
    if (child === undefined) this.requestChildren.set(key, (child = this.metrics.requests.labels(route, requestType, outcome, labelled.label)));
    child.inc();

    if (outcome === 'rejected') {
      // Invalid origins share one label but are distinct origins all the same.
      const seen = decision.origin === INVALID_ORIGIN_LABEL && rawOrigin !== undefined ? rawOrigin : (decision.origin ?? '');
      for (const sketch of this.distinct) sketch.add(seen);
    }
    if (decision.reason !== undefined) {
      const vKey = `${route}\u0000${requestType}\u0000${decision.reason}`;
      let v = this.violationChildren.get(vKey);
      if (v === undefined) this.violationChildren.set(vKey, (v = this.metrics.violations.labels(route, requestType, decision.reason)));
      v.inc();
    }
    if (requestType === 'preflight') {
      const pKey = `${route}\u0000${outcome}`;
      let h = this.preflightChildren.get(pKey);
      if (h === undefined) this.preflightChildren.set(pKey, (h = this.metrics.preflightDuration.labels(route, outcome)));
      h.observe(seconds);
    }
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
    this.metrics.resolverCache.inc({ result });
  }
}
