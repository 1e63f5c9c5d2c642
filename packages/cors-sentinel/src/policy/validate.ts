/**
 * Turns user options into plain, frozen PolicySettings, or throws one CorsConfigError listing every
 * problem. All validation happens here, once, so that the engine can trust what it is given; the
 * runtime form (caches, precomputed answers) is built from these settings by src/engine/compile-policy.ts.
 * Nothing here imports the engine: a file can be validated (`loadPolicyFile`) without building it.
 */
import { describe } from '../origin/describe';
import { ProblemCollector, type ConfigWarning } from './errors';
import { checkKeys, checkNestedOptions } from './nested-options';
import type { CorsSentinelOptions, PolicyOptions, RoutePolicyOptions } from './options';
import { readRouteSettings, type RouteSettings } from './route-settings';
import { bySpecificity, parseRoutePattern, type RoutePattern } from './routes';
import { compileCrossOriginProtection, type CompiledProtection } from './cross-origin-protection';
import { MIN_PROBE_KEY_BYTES, probeKeyBytes } from '../http/probe-signature';
import { checkLocalServerRoutes, expandLocalServer, relabelLocalServerProblems, type HostAllowlistSettings } from './local-server';

export const POLICY_KEYS = [
  'origins', 'origin', 'resolveOrigin', 'resolverCacheTtlMs', 'resolverNegativeCacheTtlMs', 'resolverCacheSize',
  'resolverTimeoutMs', 'originStore', 'originStoreMaxLoadsPerSecond', 'tenantFrom', 'methods', 'allowedHeaders', 'exposedHeaders', 'credentials', 'maxAge', 'privateNetworkAccess',
  'optionsSuccessStatus', 'rejectedPreflightStatus', 'preflightContinue', 'rejectActualRequests',
  'dangerouslyAllowNullOrigin', 'dangerouslyAllowInsecureOriginsWithCredentials', 'dangerouslyReflectAnyOrigin',
  'dangerouslyReflectRequestHeaders', 'dangerouslyAllowPublicSuffixWildcards', 'dangerouslyAllowCredentialsWithQueryTenant',
] as const;
export const TOP_LEVEL_KEYS = new Set<string>([...POLICY_KEYS, 'routes', 'defaultRouteName', 'metrics', 'logger', 'logging', 'reportOnly', 'crossOriginProtection', 'localServer', 'evidence', 'probeKey']);
export const ROUTE_KEYS = new Set<string>([...POLICY_KEYS, 'path', 'name', 'inheritOriginResolver']);
/** What a route that lists its own origins does not take from the default policy unless it opts in. */
const RESOLVER_KEYS = ['resolveOrigin', 'originStore', 'tenantFrom'] as const;
export { NEAR_UNIVERSAL_PROBES } from './regexp-rules';

export { DEFAULT_METHODS, DEFAULT_ALLOWED_HEADERS, MAX_MAX_AGE, CHROMIUM_MAX_AGE } from './route-settings';
export { entryText } from './origin-text';

/** A whole policy, validated: what the engine builds its CompiledPolicy from. */
export interface PolicySettings {
  readonly defaultRoute: RouteSettings;
  /** Route settings, most specific first (the order the engine selects routes in). */
  readonly routes: readonly RouteSettings[];
  readonly warnings: readonly ConfigWarning[];
  /** Cross-origin request protection (Fetch Metadata), when `crossOriginProtection` is set. */
  readonly crossOriginProtection: CompiledProtection | undefined;
  /** The Host allowlist (DNS-rebinding protection), when `localServer` is set. */
  readonly hosts: HostAllowlistSettings | undefined;
  /** The key that verifies the prober's signatures (`probeKey`), copied. */
  readonly probeKey: Buffer | undefined;
}

/** Validates options into PolicySettings. Throws CorsConfigError with every problem found. */
export function validatePolicy(input: CorsSentinelOptions): PolicySettings {
  const problems = new ProblemCollector();
  if (typeof input !== 'object' || input === null) {
    problems.add('options', 'invalid_type', `expected an options object, got ${describe(input)}`);
    problems.throwIfAny();
  }
  checkKeys(input, TOP_LEVEL_KEYS, '', problems);
  const local = expandLocalServer(input, problems);
  const options = local?.options ?? input;
  checkNestedOptions(options, problems);
  const base = pickPolicy(options);
  const defaultName = options.defaultRouteName ?? 'default';
  // With routes but no top-level origins, CORS applies only on the routes.
  const routesOnly = Array.isArray(options.routes) && options.routes.length > 0 && base.origins === undefined && base.origin === undefined && base.resolveOrigin === undefined && base.originStore === undefined;
  const defaultProblems = new ProblemCollector();
  const defaultRoute = readRouteSettings(routesOnly ? { ...base, origin: false } : base, defaultName, undefined, '', defaultProblems);
  problems.merge(defaultProblems, '', new Set());
  // A problem of the default policy that a route merely inherits is reported once, at the default.
  const inherited = new Set([
    ...defaultProblems.problems.map((p) => `${p.path}|${p.code}|${p.message}`),
    ...defaultProblems.warnings.map((w) => `${w.path}|warning|${w.message}`),
  ]);

  const routes: RouteSettings[] = [];
  const routesAt: { at: string; settings: RouteSettings }[] = [{ at: '', settings: defaultRoute }];
  if (options.routes !== undefined && !Array.isArray(options.routes)) {
    problems.add('routes', 'invalid_type', `expected an array of route policies, got ${describe(options.routes)}`);
  }
  const seen = new Map<string, string>();
  const routeList: readonly RoutePolicyOptions[] = isList(options.routes) ? options.routes : [];
  routeList.forEach((route, i) => {
    const at = `routes[${i}]`;
    if (typeof route !== 'object' || route === null) {
      problems.add(at, 'invalid_type', `expected a route policy object, got ${describe(route)}`);
      return;
    }
    checkKeys(route, ROUTE_KEYS, `${at}.`, problems);
    const inheritFlag = (route as { inheritOriginResolver?: unknown }).inheritOriginResolver;
    if (inheritFlag !== undefined && typeof inheritFlag !== 'boolean') problems.add(`${at}.inheritOriginResolver`, 'invalid_type', `expected true or false, got ${describe(inheritFlag)}`);
    const pattern = parseRoutePattern(route.path, `${at}.path`, problems);
    if (!pattern) return;
    const key = `${pattern.kind}:${pattern.literal}`;
    const previous = seen.get(key);
    if (previous !== undefined) problems.add(`${at}.path`, 'duplicate_route', `${JSON.stringify(route.path)} is the same pattern as ${previous}`);
    seen.set(key, `${at}.path`);
    const merged = inherit(base, route);
    const routeProblems = new ProblemCollector();
    const settings = readRouteSettings(merged, route.name ?? pattern.source, pattern, '', routeProblems);
    problems.merge(routeProblems, `${at}.`, inherited);
    routes.push(settings);
    routesAt.push({ at: `${at}.`, settings });
  });
  if (local !== undefined) {
    checkLocalServerRoutes(routesAt, problems);
    relabelLocalServerProblems(problems, local);
  }
  const crossOriginProtection = compileCrossOriginProtection(options.crossOriginProtection, 'crossOriginProtection', problems, [defaultRoute, ...routes]);
  const probeKey = readProbeKey(input.probeKey, problems);
  problems.throwIfAny();

  routes.sort((a, b) => bySpecificity(a.pattern as RoutePattern, b.pattern as RoutePattern));
  return Object.freeze({
    defaultRoute: Object.freeze(defaultRoute),
    routes: Object.freeze(routes.map((r) => Object.freeze(r))),
    warnings: Object.freeze([...problems.warnings]),
    crossOriginProtection,
    hosts: local?.hosts,
    probeKey,
  });
}

/** `probeKey`: key bytes of at least MIN_PROBE_KEY_BYTES (a short key could be guessed from one captured probe). */
function readProbeKey(value: unknown, problems: ProblemCollector): Buffer | undefined {
  if (value === undefined) return undefined;
  const key = probeKeyBytes(value);
  if (key === undefined) problems.add('probeKey', 'invalid_type', `expected the probe key as a string or a Buffer, got ${describe(value)}`);
  else if (key.length < MIN_PROBE_KEY_BYTES) problems.add('probeKey', 'weak_probe_key', `the probe key is ${key.length} bytes; at least ${MIN_PROBE_KEY_BYTES} are needed: generate one, e.g. \`openssl rand -hex 32\``);
  return key;
}

function pickPolicy(source: object): PolicyOptions {
  const out: Record<string, unknown> = {};
  for (const key of POLICY_KEYS) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * A route's options over the default policy's. A key the route sets explicitly wins even when its
 * value is undefined, so a route can drop an inherited option (`resolveOrigin: undefined`).
 */
function inherit(base: PolicyOptions, route: object): PolicyOptions {
  const merged: Record<string, unknown> = { ...base };
  const own = (key: string): boolean => Object.prototype.hasOwnProperty.call(route, key);
  // `origins` and its alias `origin` are one setting: the route's replaces the default's.
  if (own('origins') || own('origin')) {
    delete merged.origins;
    delete merged.origin;
    // A route that narrows the origins must not keep trusting the default policy's tenants unnoticed:
    // it consults the default resolver or store only with `inheritOriginResolver: true`.
    if ((route as { inheritOriginResolver?: unknown }).inheritOriginResolver !== true) for (const key of RESOLVER_KEYS) delete merged[key];
  }
  for (const key of POLICY_KEYS) if (own(key)) merged[key] = (route as Record<string, unknown>)[key];
  return merged;
}

/** `Array.isArray` narrows a readonly array to `any[]`; this keeps the element type. */
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}
