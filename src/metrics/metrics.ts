/**
 * The metric contract (docs/metrics.md), registered on a caller-supplied prom-client Registry.
 * Creation is idempotent: a second sentinel on the same registry reuses the same metrics.
 */
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

export const DEFAULT_PREFIX = 'cors_';
export const DEFAULT_PREFLIGHT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
export const DEFAULT_RESOLVER_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface CorsMetrics {
  readonly registry: Registry;
  readonly prefix: string;
  readonly requests: Counter<'route' | 'request_type' | 'outcome' | 'origin'>;
  readonly violations: Counter<'route' | 'request_type' | 'reason'>;
  readonly preflightDuration: Histogram<'route' | 'outcome'>;
  readonly nonCorsRequests: Counter<'route'>;
  readonly originLabelValues: Gauge;
  readonly originLabelLimit: Gauge;
  readonly originLabelOverflow: Counter;
  readonly resolverDuration: Histogram<'result'>;
  readonly resolverCache: Counter<'result'>;
  readonly responseFindings: Counter<'finding'>;
  readonly configInfo: Gauge<'route' | 'policy_hash' | 'origin_policy' | 'credentials'>;
}

export interface CreateMetricsOptions {
  readonly registry?: Registry;
  readonly prefix?: string;
  readonly preflightBuckets?: readonly number[];
}

export function createCorsMetrics(options: CreateMetricsOptions = {}): CorsMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new TypeError(`cors-sentinel: invalid metric prefix ${JSON.stringify(prefix)}`);

  function once<T extends Metric>(name: string, make: (config: { name: string; registers: Registry[] }) => T): T {
    const existing = registry.getSingleMetric(prefix + name);
    if (existing) return existing as unknown as T;
    return make({ name: prefix + name, registers: [registry] });
  }

  return {
    registry,
    prefix,
    requests: once('requests_total', (c) => new Counter({
      ...c, help: 'Cross-origin requests judged by the CORS policy, by route, request type, outcome and bounded origin label.',
      labelNames: ['route', 'request_type', 'outcome', 'origin'] as const,
    })),
    violations: once('violations_total', (c) => new Counter({
      ...c, help: 'Rejected cross-origin requests by reason; sums to the rejected requests.',
      labelNames: ['route', 'request_type', 'reason'] as const,
    })),
    preflightDuration: once('preflight_duration_seconds', (c) => new Histogram({
      ...c, help: 'Time to answer CORS preflights, including origin resolver lookups.',
      labelNames: ['route', 'outcome'] as const, buckets: [...(options.preflightBuckets ?? DEFAULT_PREFLIGHT_BUCKETS)],
    })),
    nonCorsRequests: once('non_cors_requests_total', (c) => new Counter({
      ...c, help: 'Requests without CORS (no Origin, or same-origin), so that the cross-origin and preflight share of traffic is computable.',
      labelNames: ['route'] as const,
    })),
    originLabelValues: once('origin_label_values', (c) => new Gauge({ ...c, help: 'Origin label slots in use by origins that are not configured exactly.' })),
    originLabelLimit: once('origin_label_limit', (c) => new Gauge({ ...c, help: 'Origin label slots available before origins are folded into __other__.' })),
    originLabelOverflow: once('origin_label_overflow_total', (c) => new Counter({ ...c, help: 'Requests whose origin was folded into __other__ (or its wildcard pattern) because the label slots were full.' })),
    resolverDuration: once('resolver_duration_seconds', (c) => new Histogram({
      ...c, help: 'Origin resolver lookups (cache misses) by result: allowed, denied, error, timeout.',
      labelNames: ['result'] as const, buckets: DEFAULT_RESOLVER_BUCKETS,
    })),
    resolverCache: once('resolver_cache_total', (c) => new Counter({
      ...c, help: 'Origin resolver cache results: hit, miss, coalesced (joined an in-flight lookup).',
      labelNames: ['result'] as const,
    })),
    responseFindings: once('response_findings_total', (c) => new Counter({
      ...c, help: 'Problems found in CORS responses: stacked layers, missing Vary, dangerous grants.',
      labelNames: ['finding'] as const,
    })),
    configInfo: once('config_info', (c) => new Gauge({
      ...c, help: 'The active CORS policy per route (value 1): its hash, origin policy and credentials.',
      labelNames: ['route', 'policy_hash', 'origin_policy', 'credentials'] as const,
    })),
  };
}
