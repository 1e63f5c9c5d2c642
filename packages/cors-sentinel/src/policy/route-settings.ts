/**
 * Validation of one route's options into plain settings: values only, no caches, no precomputed
 * answers. The runtime step (src/engine/build-route.ts) turns these into a CompiledRoutePolicy.
 * Problems are reported in the order the options were always read, so error lists stay stable.
 */
import { FORBIDDEN_METHODS, isToken } from '../http/tokens';
import { compileOrigins } from '../origin/compile';
import { describe } from '../origin/describe';
import type { CompiledOrigins } from '../origin/matcher';
import { compileTenantSource, type CompiledTenantSource } from '../stores/tenant';
import { ProblemCollector } from './errors';
import { checkOriginRules } from './origin-rules';
import { readOrigins, type OriginSetting } from './origin-setting';
import type { PolicyOptions } from './options';
import { checkHeaderName, normaliseMethod, readBoolean, readList, readPositive, readStatus } from './readers';
import type { RoutePattern } from './routes';

export const DEFAULT_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;
export const DEFAULT_ALLOWED_HEADERS = ['content-type'] as const;
/** Firefox's cap; Chromium caps at 7200. */
export const MAX_MAX_AGE = 86_400;
export const CHROMIUM_MAX_AGE = 7_200;

/** The resolver cache's limits, as validated (the engine's ResolverCacheOptions). */
export interface ResolverLimits {
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  /** Errors and timeouts are remembered briefly, so an outage does not send every request to the database. */
  readonly failureTtlMs: number;
  readonly maxEntries: number;
  readonly timeoutMs: number;
  /** Beyond this many lookups in flight (neither answered nor timed out), new ones fail at once as `error`. */
  readonly maxConcurrent: number;
}

/** One route's validated options. */
export interface RouteSettings {
  readonly name: string;
  readonly pattern: RoutePattern | undefined;
  readonly credentials: boolean;
  readonly allowNull: boolean;
  readonly allowInsecure: boolean;
  readonly allowPublicSuffix: boolean;
  readonly allowReflectAny: boolean;
  readonly reflectHeaders: boolean;
  readonly pna: boolean;
  readonly setting: OriginSetting;
  readonly tenant: CompiledTenantSource | undefined;
  /** `tenantFrom` as text, for the summary. */
  readonly tenantFromText: string | undefined;
  readonly origins: CompiledOrigins;
  readonly methods: string[];
  /** Lower-case names; may contain '*'. */
  readonly allowedHeaders: string[];
  readonly exposedHeaders: string[];
  readonly maxAge: number | undefined;
  readonly preflightStatus: number;
  readonly rejectedStatus: number;
  readonly resolverLimits: ResolverLimits;
  readonly preflightContinue: boolean;
  readonly rejectActualRequests: boolean;
}

type OriginPart = Pick<RouteSettings, 'credentials' | 'allowNull' | 'allowInsecure' | 'allowPublicSuffix' | 'allowReflectAny' | 'reflectHeaders' | 'pna' | 'setting' | 'tenant' | 'origins'>;

/** Validates one route's options; problems go to `problems` (the caller throws them all together). */
export function readRouteSettings(o: PolicyOptions, name: string, pattern: RoutePattern | undefined, at: string, problems: ProblemCollector): RouteSettings {
  const originPart = readOriginPart(o, at, problems);
  const { credentials } = originPart;
  const methods = readMethods(o, at, problems);
  const { allowedHeaders, exposedHeaders } = readHeaderLists(o, credentials, at, problems);
  const maxAge = readMaxAge(o, at, problems);
  const preflightStatus = readStatus(o.optionsSuccessStatus, 204, 200, 299, `${at}optionsSuccessStatus`, problems);
  const rejectedStatus = readStatus(o.rejectedPreflightStatus, 403, 400, 599, `${at}rejectedPreflightStatus`, problems);
  const resolverLimits: ResolverLimits = {
    ttlMs: readPositive(o.resolverCacheTtlMs, 60_000, `${at}resolverCacheTtlMs`, problems, true),
    negativeTtlMs: readPositive(o.resolverNegativeCacheTtlMs, 10_000, `${at}resolverNegativeCacheTtlMs`, problems, true),
    failureTtlMs: 1_000,
    maxEntries: readPositive(o.resolverCacheSize, 10_000, `${at}resolverCacheSize`, problems, false),
    timeoutMs: readPositive(o.resolverTimeoutMs, 500, `${at}resolverTimeoutMs`, problems, false),
    maxConcurrent: 1_000,
  };
  const preflightContinue = readBoolean(o, 'preflightContinue', at, problems);
  const rejectActualRequests = readBoolean(o, 'rejectActualRequests', at, problems);
  const tenantFromText = originPart.tenant ? String(Object.entries(o.tenantFrom ?? {})[0]) : undefined;
  return {
    name, pattern, ...originPart, tenantFromText, methods, allowedHeaders, exposedHeaders, maxAge,
    preflightStatus, rejectedStatus, resolverLimits, preflightContinue, rejectActualRequests,
  };
}

/** The origin settings and the flags that govern them, with the rules that tie them together. */
function readOriginPart(o: PolicyOptions, at: string, problems: ProblemCollector): OriginPart {
  const flag = (key: keyof PolicyOptions): boolean => readBoolean(o, key, at, problems);
  const credentials = flag('credentials');
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
    credentials, privateNetworkAccess: pna, allowInsecure, allowPublicSuffix, allowReflectAny,
    allowQueryTenantWithCredentials: flag('dangerouslyAllowCredentialsWithQueryTenant'),
  }, { origin: originAt, route: at }, problems);
  if (pna && (origins.any || setting.reflectAny)) {
    problems.add(`${at}privateNetworkAccess`, 'private_network_with_any_origin', 'Private Network Access cannot be granted to any origin');
  }
  return { credentials, allowNull, allowInsecure, allowPublicSuffix, allowReflectAny, reflectHeaders, pna, setting, tenant, origins };
}

function readMethods(o: PolicyOptions, at: string, problems: ProblemCollector): string[] {
  return readList(o.methods, DEFAULT_METHODS, `${at}methods`, problems)
    .map(normaliseMethod)
    .filter((m, i) => {
      const path = `${at}methods[${i}]`;
      if (m === '*') return problems.add(path, 'invalid_method', 'there is no method wildcard: list the methods the API accepts, e.g. methods: ["GET", "POST", "PUT", "DELETE"] (GET, HEAD and POST are always allowed)'), false;
      if (!isToken(m)) return problems.add(path, 'invalid_method', `${JSON.stringify(m)} is not a method name`), false;
      if (FORBIDDEN_METHODS.has(m.toUpperCase())) return problems.add(path, 'forbidden_method', `${m.toUpperCase()} is forbidden by the Fetch standard; browsers never send it`), false;
      return true;
    });
}

function readHeaderLists(o: PolicyOptions, credentials: boolean, at: string, problems: ProblemCollector): { allowedHeaders: string[]; exposedHeaders: string[] } {
  const allowedList = readList(o.allowedHeaders, DEFAULT_ALLOWED_HEADERS, `${at}allowedHeaders`, problems).map((h) => h.toLowerCase());
  if (allowedList.includes('*') && credentials) {
    problems.add(`${at}allowedHeaders`, 'credentials_with_wildcard_headers', 'browsers treat "*" literally in credentialed requests; list the headers instead');
  }
  const allowedHeaders = allowedList.filter((h, i) => h === '*' || checkHeaderName(h, `${at}allowedHeaders[${i}]`, true, problems));
  const exposedList = readList(o.exposedHeaders, [], `${at}exposedHeaders`, problems).map((h) => h.toLowerCase());
  if (exposedList.includes('*') && credentials) {
    problems.add(`${at}exposedHeaders`, 'credentials_with_wildcard_headers', 'browsers treat "*" literally in credentialed requests; list the headers instead');
  }
  const exposedHeaders = exposedList.filter((h, i) => h === '*' || checkHeaderName(h, `${at}exposedHeaders[${i}]`, false, problems));
  return { allowedHeaders, exposedHeaders };
}

function readMaxAge(o: PolicyOptions, at: string, problems: ProblemCollector): number | undefined {
  if (o.maxAge === undefined) return undefined;
  if (typeof o.maxAge !== 'number' || !Number.isInteger(o.maxAge) || o.maxAge < 0) {
    problems.add(`${at}maxAge`, 'invalid_max_age', `expected a whole number of seconds ≥ 0, got ${describe(o.maxAge)}`);
    return undefined;
  }
  if (o.maxAge > MAX_MAX_AGE) {
    problems.warn(`${at}maxAge`, `${o.maxAge} s exceeds every browser's cap; capped at ${MAX_MAX_AGE} s (Chromium uses at most ${CHROMIUM_MAX_AGE} s)`);
    return MAX_MAX_AGE;
  }
  if (o.maxAge > CHROMIUM_MAX_AGE) problems.warn(`${at}maxAge`, `${o.maxAge} s: Chromium caps preflight caching at ${CHROMIUM_MAX_AGE} s`);
  return o.maxAge;
}
