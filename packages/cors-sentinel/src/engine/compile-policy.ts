/**
 * The two steps of compiling a policy, composed: src/policy/ validates the options into plain settings
 * (throwing the one CorsConfigError), and the engine builds the runtime form from them. The engine may
 * read the policy's settings; the policy never imports the engine (test/architecture.test.ts).
 */
import { createHash } from 'node:crypto';
import type { CorsSentinelOptions } from '../policy/options';
import { validatePolicy, type PolicySettings } from '../policy/validate';
import { buildRoute } from './build-route';
import type { CompiledPolicy } from './compiled';
import { compileHostAllowlist } from './host-allowlist';

/** Validates options into a CompiledPolicy. Throws CorsConfigError with every problem found. */
export function compilePolicy(options: CorsSentinelOptions): CompiledPolicy {
  return buildPolicy(validatePolicy(options));
}

/** The runtime form of validated settings: resolver caches, precomputed answers and the config hash. */
export function buildPolicy(settings: PolicySettings): CompiledPolicy {
  const defaultRoute = buildRoute(settings.defaultRoute);
  // Settings come most specific first already; building keeps that order.
  const routes = settings.routes.map(buildRoute);
  const { crossOriginProtection, warnings } = settings;
  const hosts = settings.hosts ? compileHostAllowlist(settings.hosts) : undefined;
  // Over the summaries, which are pure functions of the settings, so equal options hash equally.
  const hash = createHash('sha256')
    .update(JSON.stringify([
      defaultRoute.summary, ...routes.map((r) => r.summary), ...(crossOriginProtection ? [crossOriginProtection.summary] : []), ...(hosts ? [hosts.summary] : []),
    ]))
    .digest('hex')
    .slice(0, 12);
  // The probe key is not hashed: cors_config_info must not carry anything derived from a secret.
  return Object.freeze({ defaultRoute, routes: Object.freeze(routes), hash, warnings, crossOriginProtection, hosts, probeKey: settings.probeKey });
}
