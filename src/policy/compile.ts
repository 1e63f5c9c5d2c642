/**
 * Turns user options into an immutable CompiledPolicy, or throws one CorsConfigError listing every
 * problem. All validation happens here, once, so that the engine can trust what it is given.
 */
import { createHash } from 'node:crypto';
import type { Decision, HeaderPair } from '../engine/decision';
import { ResolverCache, type ResolveFn } from '../engine/resolver-cache';
import { FORBIDDEN_METHODS, isToken } from '../http/tokens';
import { compileOrigins, describe } from '../origin/matcher';
import type { CompiledPolicy, CompiledRoutePolicy, ExactGrant, OriginPolicyKind } from './compiled';
import { compileExactGrants } from '../engine/exact-grants';
import { nonCorsDecision } from '../engine/decision-builder';
import { ProblemCollector } from './errors';
import { readOrigins } from './origin-setting';
import { checkOriginRules } from './origin-rules';
import { checkKeys, checkNestedOptions } from './nested-options';
import { checkHeaderName, normaliseMethod, readBoolean, readList, readPositive, readStatus } from './readers';
import type { CorsOriginCallback, CorsSentinelOptions, PolicyOptions } from './options';
import { bySpecificity, parseRoutePattern, type RoutePattern } from './routes';
import { compileTenantSource } from '../stores/tenant';
import { TenantOriginCache } from '../stores/tenant-cache';
import { compileCrossOriginProtection } from '../fetch-metadata/options';

export const POLICY_KEYS = [
  'origins', 'origin', 'resolveOrigin', 'resolverCacheTtlMs', 'resolverNegativeCacheTtlMs', 'resolverCacheSize',
  'resolverTimeoutMs', 'originStore', 'originStoreMaxLoadsPerSecond', 'tenantFrom', 'methods', 'allowedHeaders', 'exposedHeaders', 'credentials', 'maxAge', 'privateNetworkAccess',
  'optionsSuccessStatus', 'rejectedPreflightStatus', 'preflightContinue', 'rejectActualRequests',
  'dangerouslyAllowNullOrigin', 'dangerouslyAllowInsecureOriginsWithCredentials', 'dangerouslyReflectAnyOrigin',
  'dangerouslyReflectRequestHeaders', 'dangerouslyAllowPublicSuffixWildcards', 'dangerouslyAllowCredentialsWithQueryTenant',
] as const;
export const TOP_LEVEL_KEYS = new Set<string>([...POLICY_KEYS, 'routes', 'defaultRouteName', 'metrics', 'logger', 'logging', 'reportOnly', 'crossOriginProtection']);
export const ROUTE_KEYS = new Set<string>([...POLICY_KEYS, 'path', 'name', 'inheritOriginResolver']);
/** What a route that lists its own origins does not take from the default policy unless it opts in. */
const RESOLVER_KEYS = ['resolveOrigin', 'originStore', 'tenantFrom'] as const;
export { NEAR_UNIVERSAL_PROBES } from './regexp-rules';

export const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;
export const DEFAULT_ALLOWED_HEADERS = ['content-type'] as const;
/** Firefox's cap; Chromium caps at 7200. */
export const MAX_MAX_AGE = 86_400;
export const CHROMIUM_MAX_AGE = 7_200;

/** Validates options into a CompiledPolicy. Throws CorsConfigError with every problem found. */
export function compilePolicy(options: CorsSentinelOptions): CompiledPolicy {
  const problems = new ProblemCollector();
  if (typeof options !== 'object' || options === null) {
    problems.add('options', 'invalid_type', `expected an options object, got ${describe(options)}`);
    problems.throwIfAny();
  }
  checkKeys(options, TOP_LEVEL_KEYS, '', problems);
  checkNestedOptions(options, problems);
  const base = pickPolicy(options);
  const defaultName = options.defaultRouteName ?? 'default';
  // With routes but no top-level origins, CORS applies only on the routes.
  const routesOnly = Array.isArray(options.routes) && options.routes.length > 0 && base.origins === undefined && base.origin === undefined && base.resolveOrigin === undefined && base.originStore === undefined;
  const defaultProblems = new ProblemCollector();
  const defaultRoute = compileRoute(routesOnly ? { ...base, origin: false } : base, defaultName, undefined, '', defaultProblems);
  problems.merge(defaultProblems, '', new Set());
  // A problem of the default policy that a route merely inherits is reported once, at the default.
  const inherited = new Set([
    ...defaultProblems.problems.map((p) => `${p.path}|${p.code}|${p.message}`),
    ...defaultProblems.warnings.map((w) => `${w.path}|warning|${w.message}`),
  ]);

  const routes: CompiledRoutePolicy[] = [];
  if (options.routes !== undefined && !Array.isArray(options.routes)) {
    problems.add('routes', 'invalid_type', `expected an array of route policies, got ${describe(options.routes)}`);
  }
  const seen = new Map<string, string>();
  (Array.isArray(options.routes) ? options.routes : []).forEach((route, i) => {
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
    const compiled = compileRoute(merged, route.name ?? pattern.source, pattern, '', routeProblems);
    problems.merge(routeProblems, `${at}.`, inherited);
    routes.push(compiled);
  });
  const crossOriginProtection = compileCrossOriginProtection(options.crossOriginProtection, 'crossOriginProtection', problems, [defaultRoute, ...routes]);
  problems.throwIfAny();

  routes.sort((a, b) => bySpecificity(a.pattern as RoutePattern, b.pattern as RoutePattern));
  const hash = createHash('sha256')
    .update(JSON.stringify([defaultRoute.summary, ...routes.map((r) => r.summary), ...(crossOriginProtection ? [crossOriginProtection.summary] : [])]))
    .digest('hex')
    .slice(0, 12);
  return Object.freeze({ defaultRoute, routes: Object.freeze(routes), hash, warnings: Object.freeze([...problems.warnings]), crossOriginProtection });
}

function pickPolicy(source: object): PolicyOptions {
  const out: Record<string, unknown> = {};
  for (const key of POLICY_KEYS) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as PolicyOptions;
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
  return merged as PolicyOptions;
}

function compileRoute(
  o: PolicyOptions,
  name: string,
  pattern: RoutePattern | undefined,
  at: string,
  problems: ProblemCollector,
): CompiledRoutePolicy {
  const credentials = readBoolean(o, 'credentials', at, problems);
  const flag = (key: keyof PolicyOptions): boolean => readBoolean(o, key, at, problems);
  const allowNull = flag('dangerouslyAllowNullOrigin');
  const allowInsecure = flag('dangerouslyAllowInsecureOriginsWithCredentials');
  const allowPublicSuffix = flag('dangerouslyAllowPublicSuffixWildcards');
  const reflectHeaders = flag('dangerouslyReflectRequestHeaders');
  const pna = flag('privateNetworkAccess');
  const originAt = `${at}${o.origins !== undefined ? 'origins' : 'origin'}`;

  const allowReflectAny = flag('dangerouslyReflectAnyOrigin');
  const timeoutMs = readPositive(o.resolverTimeoutMs, 500, `${at}resolverTimeoutMs`, new ProblemCollector(), false);
  const setting = readOrigins(o, at, problems, { credentials, allowReflectAny, allowPublicSuffix, timeoutMs });
  const tenant = compileTenantSource(o.tenantFrom, `${at}tenantFrom`, problems);
  const origins = compileOrigins(setting.specs, originAt, { dangerouslyAllowNullOrigin: allowNull }, problems);
  if (setting.reflectAny && !allowReflectAny) {
    problems.add(originAt, 'reflect_any_not_enabled', 'origin: true reflects every origin; use "*" for a public resource, or set dangerouslyReflectAnyOrigin');
  }
  if (!setting.disabled && !setting.reflectAny && !setting.resolver && origins.entries.length === 0 && setting.specs.length === 0) {
    const why = setting.emptyList ? 'the list is empty (is the environment variable it is built from unset?); ' : '';
    problems.add(originAt, 'no_origins', `no origins are allowed: ${why}list them in "origins", use "*" for a public resource, or give a "resolveOrigin" function`);
  }
  checkOriginRules(origins, setting, tenant, {
    credentials, allowInsecure, allowPublicSuffix, allowReflectAny,
    allowQueryTenantWithCredentials: flag('dangerouslyAllowCredentialsWithQueryTenant'),
  }, { origin: originAt, route: at }, problems);
  if (pna && (origins.any || setting.reflectAny)) {
    problems.add(`${at}privateNetworkAccess`, 'private_network_with_any_origin', 'Private Network Access cannot be granted to any origin');
  }

  const methods = readList(o.methods, DEFAULT_METHODS, `${at}methods`, problems)
    .map(normaliseMethod)
    .filter((m, i) => {
      const path = `${at}methods[${i}]`;
      if (!isToken(m) || m === '*') return problems.add(path, 'invalid_method', `${JSON.stringify(m)} is not a method name`), false;
      if (FORBIDDEN_METHODS.has(m.toUpperCase())) return problems.add(path, 'forbidden_method', `${m.toUpperCase()} is forbidden by the Fetch standard; browsers never send it`), false;
      return true;
    });
  const allowedList = readList(o.allowedHeaders, DEFAULT_ALLOWED_HEADERS, `${at}allowedHeaders`, problems).map((h) => h.toLowerCase());
  const anyHeaderListed = allowedList.includes('*');
  if (anyHeaderListed && credentials) {
    problems.add(`${at}allowedHeaders`, 'credentials_with_wildcard_headers', 'browsers treat "*" literally in credentialed requests; list the headers instead');
  }
  const allowedHeaders = allowedList.filter((h, i) => h === '*' || checkHeaderName(h, `${at}allowedHeaders[${i}]`, true, problems));
  const exposedList = readList(o.exposedHeaders, [], `${at}exposedHeaders`, problems).map((h) => h.toLowerCase());
  if (exposedList.includes('*') && credentials) {
    problems.add(`${at}exposedHeaders`, 'credentials_with_wildcard_headers', 'browsers treat "*" literally in credentialed requests; list the headers instead');
  }
  const exposedHeaders = exposedList.filter((h, i) => h === '*' || checkHeaderName(h, `${at}exposedHeaders[${i}]`, false, problems));

  let maxAge: number | undefined;
  if (o.maxAge !== undefined) {
    if (typeof o.maxAge !== 'number' || !Number.isInteger(o.maxAge) || o.maxAge < 0) {
      problems.add(`${at}maxAge`, 'invalid_max_age', `expected a whole number of seconds ≥ 0, got ${describe(o.maxAge)}`);
    } else if (o.maxAge > MAX_MAX_AGE) {
      problems.warn(`${at}maxAge`, `${o.maxAge} s exceeds every browser's cap; capped at ${MAX_MAX_AGE} s (Chromium uses at most ${CHROMIUM_MAX_AGE} s)`);
      maxAge = MAX_MAX_AGE;
    } else {
      if (o.maxAge > CHROMIUM_MAX_AGE) problems.warn(`${at}maxAge`, `${o.maxAge} s: Chromium caps preflight caching at ${CHROMIUM_MAX_AGE} s`);
      maxAge = o.maxAge;
    }
  }
  const preflightStatus = readStatus(o.optionsSuccessStatus, 204, 200, 299, `${at}optionsSuccessStatus`, problems);
  const rejectedStatus = readStatus(o.rejectedPreflightStatus, 403, 400, 599, `${at}rejectedPreflightStatus`, problems);

  const cacheOptions = {
    ttlMs: readPositive(o.resolverCacheTtlMs, 60_000, `${at}resolverCacheTtlMs`, problems, true),
    negativeTtlMs: readPositive(o.resolverNegativeCacheTtlMs, 10_000, `${at}resolverNegativeCacheTtlMs`, problems, true),
    failureTtlMs: 1_000,
    maxEntries: readPositive(o.resolverCacheSize, 10_000, `${at}resolverCacheSize`, problems, false),
    timeoutMs: readPositive(o.resolverTimeoutMs, 500, `${at}resolverTimeoutMs`, problems, false),
    maxConcurrent: 1_000,
  };
  const resolver = setting.resolver ? new ResolverCache(setting.resolver, cacheOptions) : undefined;

  const anyOnly = origins.any && !setting.reflectAny;
  const originPolicy: OriginPolicyKind = setting.disabled
    ? 'disabled'
    : anyOnly
      ? 'any'
      : setting.reflectAny || ((setting.callback || setting.guardedResolver) && allowReflectAny)
        ? 'reflect'
        : resolver
          ? origins.entries.length > 0 ? 'list+resolver' : 'resolver'
          : 'list';

  const common: HeaderPair[] = credentials ? [['Access-Control-Allow-Credentials', 'true']] : [];
  const actualHeaders: HeaderPair[] = [...common];
  if (exposedHeaders.length > 0) actualHeaders.push(['Access-Control-Expose-Headers', exposedHeaders.join(', ')]);
  const preflightHeaders: HeaderPair[] = [...common, ['Access-Control-Allow-Methods', methods.join(', ')]];
  if (maxAge !== undefined) preflightHeaders.push(['Access-Control-Max-Age', String(maxAge)]);
  // With "*", the validated requested names are echoed rather than "*", which would not cover Authorization.
  const anyRequestHeader = reflectHeaders || (anyHeaderListed && !credentials);
  if (!anyRequestHeader && allowedHeaders.length > 0) preflightHeaders.push(['Access-Control-Allow-Headers', allowedHeaders.join(', ')]);

  // The preflight answer depends on Access-Control-Request-Private-Network whether PNA is on (grant)
  // or off (403 when it is asked for): a cache must keep the two apart.
  const preflightVary = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Access-Control-Request-Private-Network'];
  const actualVary = anyOnly ? [] : ['Origin'];
  // A tenant header changes the answer as much as Origin does.
  if (tenant && resolver && !anyOnly) {
    preflightVary.push(...tenant.vary);
    actualVary.push(...tenant.vary);
  }
  const nonCors: Decision = Object.freeze(nonCorsDecision(
    name,
    anyOnly ? Object.freeze([['Access-Control-Allow-Origin', '*'] as const, ...actualHeaders]) : [],
    setting.disabled ? [] : actualVary,
  ));

  const preflightContinue = flag('preflightContinue');
  const exactGrants = anyOnly || setting.disabled
    ? new Map<string, ExactGrant>()
    : compileExactGrants(name, origins.exact, { actualHeaders, preflightHeaders, actualVary, preflightVary, preflightStatus, preflightContinue });

  return Object.freeze({
    name,
    pattern,
    originPolicy,
    origins,
    anyOnly,
    reflectAny: setting.reflectAny,
    resolver,
    tenantOf: resolver ? tenant?.tenantOf : undefined,
    storeCache: setting.storeCache,
    credentials,
    allowInsecureWithCredentials: allowInsecure,
    methods: new Set(methods),
    allowedHeaders: new Set(allowedHeaders.filter((h) => h !== '*')),
    anyRequestHeader,
    // Browsers never let a "*" cover Authorization; neither does our "*" (list it to allow it).
    authorizationNeedsListing: anyHeaderListed && !reflectHeaders && !allowedHeaders.includes('authorization'),
    privateNetworkAccess: pna,
    preflightStatus,
    rejectedStatus,
    preflightContinue,
    rejectActualRequests: flag('rejectActualRequests'),
    actualHeaders: Object.freeze(actualHeaders),
    preflightHeaders: Object.freeze(preflightHeaders),
    actualVary: Object.freeze(actualVary),
    preflightVary: Object.freeze(preflightVary),
    nonCors,
    exactGrants,
    requestHeaderVerdicts: new Map(),
    summary: Object.freeze({
      name, path: pattern?.source, originPolicy, origins: origins.entries.map(entryText), credentials, methods,
      allowedHeaders, exposedHeaders, maxAge, pna, preflightStatus, rejectedStatus, reflectHeaders,
      allowNull, allowInsecure, allowPublicSuffix, hasResolver: resolver !== undefined,
      hasStore: setting.storeCache !== undefined, tenantFrom: tenant ? String(Object.entries(o.tenantFrom ?? {})[0]) : undefined,
      tenantBinding: tenant?.binding, callbackOrigins: setting.callback,
    }),
  });
}

export function entryText(e: ReturnType<typeof compileOrigins>['entries'][number]): string {
  switch (e.kind) {
    case 'exact': return e.origin;
    case 'wildcard': case 'regexp': return e.pattern;
    case 'any': return '*';
    case 'null': return 'null';
  }
}
