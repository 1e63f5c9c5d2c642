/**
 * Verified prober traffic, counted apart (docs/prober.md#signed-probes). A scheduled probe sends some
 * 37 made-up origins on purpose; counted as real traffic they fill the origin label guard and the
 * distinct-origin sketch and raise CorsOriginProbing on the API being checked. With `probeKey`, a
 * request whose `CORS-Sentinel-Probe` signature verifies is counted only in
 * `cors_verified_probe_requests_total{route, request_type, outcome}`: not in `cors_requests_total`,
 * the violations, the preflight histogram, the label guard, the sketch or the violation log, so every
 * documented series keeps meaning "what browsers and attackers sent". A header that does not verify
 * is counted in `cors_probe_signature_failures_total{reason}`, logged (rate-limited), and the request
 * is counted as ordinary traffic: a forged probe is an attack like any other.
 *
 * The response is never touched: the probe sees the real CORS answer.
 */
import { Counter, type Registry } from 'prom-client';
import type { CorsRequest, Decision } from '../engine/decision';
import { PROBE_SIGNATURE_FAILURES, PROBE_SIGNATURE_HEADER, verifyProbe, type ProbeSignatureFailure } from '../http/probe-signature';

export const PROBE_METRIC_NAMES = {
  verified: 'verified_probe_requests_total',
  failures: 'probe_signature_failures_total',
} as const;

/** What a request brings for verification: the port hands over the CorsRequest it decided on. */
export type ProbeEvidence = Pick<CorsRequest, 'method' | 'path'> & Partial<Pick<CorsRequest, 'origin' | 'target' | 'headers' | 'receivedAt'>>;

/** Where the outcome goes: the registry (none with `metrics: false`) and the flood-safe log. */
export interface ProbeTrafficSinks {
  readonly metrics: { readonly registry: Registry; readonly prefix: string } | undefined;
  readonly log: (reason: ProbeSignatureFailure, details: () => Readonly<Record<string, string>>) => void;
}

export interface ProbeTraffic {
  /**
   * True when `request` is a verified probe, now counted: the caller must not count or log it as
   * traffic. False for every other request (a failed signature is counted and logged here first).
   * Reads one header; verifies only when it is present.
   */
  take(decision: Decision, request: ProbeEvidence | undefined): boolean;
}

export function createProbeTraffic(key: Uint8Array, sinks: ProbeTrafficSinks): ProbeTraffic {
  const counters = sinks.metrics === undefined ? undefined : probeCounters(sinks.metrics.registry, sinks.metrics.prefix);
  return {
    take(decision, request) {
      const header = request?.headers?.[PROBE_SIGNATURE_HEADER];
      if (header === undefined || request === undefined || decision.outcome === undefined) return false;
      const signed = { method: request.method, target: request.target ?? request.path, origin: request.origin };
      const result = verifyProbe(key, header, signed, request.receivedAt ?? Date.now() / 1000);
      if (result === 'valid') {
        counters?.verified.labels(decision.route, decision.requestType, decision.outcome).inc();
        return true;
      }
      counters?.failures.labels(result).inc();
      sinks.log(result, () => ({ route: decision.route, origin: request.origin ?? '', method: request.method, path: request.path }));
      return false;
    },
  };
}

/** The two counters, registered once per registry and prefix (two sentinels on one registry share them). */
function probeCounters(registry: Registry, prefix: string): { verified: Counter<'route' | 'request_type' | 'outcome'>; failures: Counter<'reason'> } {
  const verifiedName = prefix + PROBE_METRIC_NAMES.verified;
  const failuresName = prefix + PROBE_METRIC_NAMES.failures;
  const verified = (registry.getSingleMetric(verifiedName) as Counter<'route' | 'request_type' | 'outcome'> | undefined) ?? new Counter({
    name: verifiedName, registers: [registry], labelNames: ['route', 'request_type', 'outcome'] as const,
    help: 'Requests from cors-sentinel probe whose CORS-Sentinel-Probe signature verified (probeKey): counted here instead of cors_requests_total.',
  });
  const failures = (registry.getSingleMetric(failuresName) as Counter<'reason'> | undefined) ?? new Counter({
    name: failuresName, registers: [registry], labelNames: ['reason'] as const,
    help: 'CORS-Sentinel-Probe headers that did not verify (malformed, expired, mismatch): those requests count as ordinary traffic.',
  });
  // Every reason is published at 0, so that rate() sees the first failure.
  for (const reason of PROBE_SIGNATURE_FAILURES) failures.labels(reason).inc(0);
  return { verified, failures };
}
