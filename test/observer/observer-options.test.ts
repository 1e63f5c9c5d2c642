import { Registry } from 'prom-client';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import type { CorsObserverOptions } from '../../packages/cors-sentinel/src/observer/observer';
import { createCorsMetrics } from '../../packages/cors-sentinel/src/metrics/metrics';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';

function problems(options: unknown): string[] {
  try {
    corsObserver({ logger: false, metrics: false, ...(options as CorsObserverOptions) });
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => `${p.path} ${p.code}`).sort();
    throw err;
  }
  return [];
}

describe('corsObserver options', () => {
  test('every problem is reported at once, candidate included', () => {
    expect(problems({
      origins: ['https://a.example.com'],
      routes: [{ path: 'api' }, { path: '/x/*', name: 'x' }, { path: '/x/*' }],
      expectedOrigins: ['https://app.example.com', /app/, 'https://*.com'],
      reflectionProbe: 'yes',
      reportOnly: { origin: true, credentials: true },
    })).toEqual([
      'expectedOrigins[1] unanchored_regexp',
      'expectedOrigins[2] wildcard_too_broad',
      'origins unknown_option',
      'reflectionProbe invalid_type',
      'reportOnly.origin credentials_with_reflect_any',
      'reportOnly.origin reflect_any_not_enabled',
      'routes[0].path invalid_route_path',
      'routes[2].path duplicate_route',
    ]);
  });

  test('valid options compile; enforce-mode route objects are accepted for their path and name', () => {
    expect(problems({ routes: [{ path: '/api/*', name: 'api', origins: ['https://x.example.com'] } as never], expectedOrigins: 'null' })).toEqual([]);
  });

  test('the observer and an enforcing sentinel share one registry and one metric contract', () => {
    const registry = new Registry();
    corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: { registry } });
    const observer = corsObserver({ logger: false, metrics: { registry } });
    expect(observer.metrics?.shadowDecisions).toBe(createCorsMetrics({ registry }).shadowDecisions);
    expect(registry.getSingleMetric('cors_shadow_decisions_total')).toBeDefined();
  });
});
