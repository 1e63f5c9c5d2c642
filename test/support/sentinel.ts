import { Registry } from 'prom-client';
import { createSentinel, type Sentinel } from '../../packages/cors-sentinel/src/sentinel';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { CorsRequest, Decision } from '../../packages/cors-sentinel/src/engine/decision';

/** A sentinel with its own registry and no logger: tests never share state. */
export function testSentinel(options: CorsSentinelOptions): Sentinel {
  return createSentinel({ logger: false, ...options, metrics: { registry: new Registry(), ...(options.metrics || {}) } });
}

export function req(partial: Partial<CorsRequest> & { origin?: string }): CorsRequest {
  return { method: 'GET', path: '/', origin: undefined, ...partial };
}

export function preflight(origin: string, method = 'PUT', headers?: string, path = '/'): CorsRequest {
  return { method: 'OPTIONS', path, origin, accessControlRequestMethod: method, accessControlRequestHeaders: headers };
}

/** Decides synchronously; fails the test if the decision needed the resolver. */
export function decideSync(s: Sentinel, r: CorsRequest): Decision {
  const d = s.decide(r);
  if (d instanceof Promise) throw new Error('expected a synchronous decision');
  return d;
}

export function header(d: Decision, name: string): string | undefined {
  return d.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/**
 * Sum of the series of `series` whose labels include `labels`. `series` may name a histogram's
 * `_count`/`_sum`/`_bucket` series. With every label given, this is one series' value (0 if absent).
 */
export async function metricSum(registry: Registry, series: string, labels: Record<string, string> = {}): Promise<number> {
  const base = registry.getSingleMetric(series) ? series : series.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(base);
  if (!metric) throw new Error(`no metric ${series}`);
  const { values } = await metric.get();
  return values
    .filter((v) => ((v as { metricName?: string }).metricName ?? base) === series)
    .filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
    .reduce((sum, v) => sum + v.value, 0);
}
