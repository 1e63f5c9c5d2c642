/** Observe mode's reading of a policy file, shared by the proxy's observe mode and the log observer. */
import type { CorsObserverOptions } from 'cors-sentinel/internal/observer/observer';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';

/**
 * Observe mode reads the same policy file: its route patterns name the `route` label, its static
 * origins are the ones the operator expects, and the whole policy is the report-only candidate that
 * counts what switching to enforce mode would change.
 */
export function observerOptions(policy: CorsSentinelOptions, metrics: CorsObserverOptions['metrics']): CorsObserverOptions {
  const { metrics: _m, logger, logging, reportOnly: _r, evidence, probeKey, ...candidate } = policy;
  const options: CorsObserverOptions = {
    metrics,
    reportOnly: candidate,
    ...(evidence !== undefined ? { evidence } : {}),
    ...(probeKey !== undefined ? { probeKey } : {}),
    ...(logger !== undefined ? { logger } : {}),
    ...(logging !== undefined ? { logging } : {}),
    ...(policy.defaultRouteName !== undefined ? { defaultRouteName: policy.defaultRouteName } : {}),
  };
  if (policy.routes !== undefined) options.routes = policy.routes.map((r) => ({ path: r.path, ...(r.name !== undefined ? { name: r.name } : {}) }));
  const expected = policy.origins ?? (typeof policy.origin === 'string' || Array.isArray(policy.origin) ? policy.origin : undefined);
  if (expected !== undefined) options.expectedOrigins = expected as CorsObserverOptions['expectedOrigins'];
  return options;
}
