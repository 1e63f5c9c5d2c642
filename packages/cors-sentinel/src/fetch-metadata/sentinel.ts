/**
 * Cross-origin request protection inside `corsSentinel` (and every adapter built on the sentinel):
 * the route and trusted origins come from the CORS policy, counts and log lines go through the
 * sentinel's own registry and flood-safe log.
 */
import { selectRoute } from '../engine/decide';
import type { CompiledPolicy } from '../engine/compiled';
import type { Instrumentation } from '../instrumentation';
import { countingObserver, crossOriginRequestsCounter, CrossOriginProtector, loggingObserver, type ProtectionObserver } from './protect';

/** The protector of a compiled policy, or undefined when `crossOriginProtection` is off. */
export function sentinelProtector(policy: CompiledPolicy, inst: Instrumentation): CrossOriginProtector | undefined {
  const compiled = policy.crossOriginProtection;
  if (compiled === undefined) return undefined;
  const observers: ProtectionObserver[] = [loggingObserver((decision, details) => inst.violations.crossOrigin(decision, details))];
  if (inst.metrics) observers.unshift(countingObserver(crossOriginRequestsCounter(inst.metrics.registry, inst.metrics.prefix)));
  return new CrossOriginProtector(compiled, (path) => selectRoute(policy, path), observers);
}
