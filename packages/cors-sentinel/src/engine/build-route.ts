/**
 * The runtime step of compiling a route: from validated settings (src/policy/route-settings.ts) to the
 * frozen CompiledRoutePolicy decide() reads: resolver cache, header lists, Vary lists and the
 * precomputed answers (non-CORS, exact origins).
 */
import type { HeaderPair } from './decision';
import { nonCorsDecision } from './decision-builder';
import { compileExactGrants } from './exact-grants';
import { ResolverCache } from './resolver-cache';
import type { CompiledRoutePolicy, ExactGrant, OriginPolicyKind } from './compiled';
import type { RouteSettings } from '../policy/route-settings';
import { entryText } from '../policy/origin-text';

export function buildRoute(s: RouteSettings): CompiledRoutePolicy {
  const { name, setting, origins, credentials } = s;
  const resolver = setting.resolver ? new ResolverCache(setting.resolver, s.resolverLimits) : undefined;
  const anyOnly = origins.any && !setting.reflectAny;
  const originPolicy = originPolicyOf(s, anyOnly, resolver !== undefined);
  const anyHeaderListed = s.allowedHeaders.includes('*');
  // With "*", the validated requested names are echoed rather than "*", which would not cover Authorization.
  const anyRequestHeader = s.reflectHeaders || (anyHeaderListed && !credentials);
  const { actualHeaders, preflightHeaders } = answerHeaders(s, anyRequestHeader);
  const { actualVary, preflightVary } = varyLists(s, anyOnly, resolver !== undefined);
  const nonCors = Object.freeze(nonCorsDecision(
    name,
    anyOnly ? [['Access-Control-Allow-Origin', '*'], ...actualHeaders] : [],
    setting.disabled ? [] : actualVary,
  ));
  const { preflightStatus, preflightContinue } = s;
  const exactGrants = anyOnly || setting.disabled
    ? new Map<string, ExactGrant>()
    : compileExactGrants(name, origins.exact, { actualHeaders, preflightHeaders, actualVary, preflightVary, preflightStatus, preflightContinue });

  return Object.freeze({
    name,
    pattern: s.pattern,
    originPolicy,
    origins,
    anyOnly,
    reflectAny: setting.reflectAny,
    resolver,
    tenantOf: resolver ? s.tenant?.tenantOf : undefined,
    storeCache: setting.storeCache,
    credentials,
    allowInsecureWithCredentials: s.allowInsecure,
    methods: new Set(s.methods),
    allowedHeaders: new Set(s.allowedHeaders.filter((h) => h !== '*')),
    anyRequestHeader,
    // Browsers never let a "*" cover Authorization; neither does our "*" (list it to allow it).
    authorizationNeedsListing: anyHeaderListed && !s.reflectHeaders && !s.allowedHeaders.includes('authorization'),
    privateNetworkAccess: s.pna,
    preflightStatus,
    rejectedStatus: s.rejectedStatus,
    preflightContinue,
    rejectActualRequests: s.rejectActualRequests,
    // Header lists are readonly by type, not frozen: they are read element by element per request
    // (spread into grants, indexed by the writers), which V8 does slowly on a frozen array.
    actualHeaders,
    preflightHeaders,
    actualVary: Object.freeze(actualVary),
    preflightVary: Object.freeze(preflightVary),
    nonCors,
    exactGrants,
    lastExactGrant: { origin: '', grant: undefined },
    requestHeaderVerdicts: new Map(),
    lastHeaderVerdict: { requested: '', verdict: undefined },
    summary: summaryOf(s, originPolicy, resolver !== undefined),
  });
}

function originPolicyOf(s: RouteSettings, anyOnly: boolean, hasResolver: boolean): OriginPolicyKind {
  const { setting } = s;
  if (setting.disabled) return 'disabled';
  if (anyOnly) return 'any';
  if (setting.reflectAny || ((setting.callback || setting.guardedResolver) && s.allowReflectAny)) return 'reflect';
  if (hasResolver) return s.origins.entries.length > 0 ? 'list+resolver' : 'resolver';
  return 'list';
}

/** The headers of allowed answers, after Access-Control-Allow-Origin. */
function answerHeaders(s: RouteSettings, anyRequestHeader: boolean): { actualHeaders: HeaderPair[]; preflightHeaders: HeaderPair[] } {
  const common: HeaderPair[] = s.credentials ? [['Access-Control-Allow-Credentials', 'true']] : [];
  const actualHeaders: HeaderPair[] = [...common];
  if (s.exposedHeaders.length > 0) actualHeaders.push(['Access-Control-Expose-Headers', s.exposedHeaders.join(', ')]);
  const preflightHeaders: HeaderPair[] = [...common];
  // `methods: []` allows only the safelisted methods, which need no header: an empty line would be noise.
  if (s.methods.length > 0) preflightHeaders.push(['Access-Control-Allow-Methods', s.methods.join(', ')]);
  if (s.maxAge !== undefined) preflightHeaders.push(['Access-Control-Max-Age', String(s.maxAge)]);
  if (!anyRequestHeader && s.allowedHeaders.length > 0) preflightHeaders.push(['Access-Control-Allow-Headers', s.allowedHeaders.join(', ')]);
  return { actualHeaders, preflightHeaders };
}

function varyLists(s: RouteSettings, anyOnly: boolean, hasResolver: boolean): { actualVary: string[]; preflightVary: string[] } {
  // The preflight answer depends on Access-Control-Request-Private-Network whether PNA is on (grant)
  // or off (403 when it is asked for): a cache must keep the two apart.
  const preflightVary = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Access-Control-Request-Private-Network'];
  const actualVary = anyOnly ? [] : ['Origin'];
  // A tenant header changes the answer as much as Origin does.
  if (s.tenant && hasResolver && !anyOnly) {
    preflightVary.push(...s.tenant.vary);
    actualVary.push(...s.tenant.vary);
  }
  return { actualVary, preflightVary };
}

function summaryOf(s: RouteSettings, originPolicy: OriginPolicyKind, hasResolver: boolean): Readonly<Record<string, unknown>> {
  return Object.freeze({
    name: s.name, path: s.pattern?.source, originPolicy, origins: s.origins.entries.map(entryText), credentials: s.credentials,
    methods: s.methods, allowedHeaders: s.allowedHeaders, exposedHeaders: s.exposedHeaders, maxAge: s.maxAge, pna: s.pna,
    preflightStatus: s.preflightStatus, rejectedStatus: s.rejectedStatus, reflectHeaders: s.reflectHeaders,
    allowNull: s.allowNull, allowInsecure: s.allowInsecure, allowPublicSuffix: s.allowPublicSuffix, hasResolver,
    hasStore: s.setting.storeCache !== undefined, tenantFrom: s.tenantFromText,
    tenantBinding: s.tenant?.binding, callbackOrigins: s.setting.callback,
  });
}
