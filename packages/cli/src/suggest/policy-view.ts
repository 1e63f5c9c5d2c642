/**
 * A policy as `suggest` compares it: per route (keyed like the evidence: the route's `path` pattern,
 * `*` for the default route) its origins, methods, headers and credentials, taken from the compiled
 * policy so that defaults (methods, `content-type`) count as what the policy really allows.
 */
import { compilePolicy } from 'cors-sentinel/internal/engine/compile-policy';
import type { CompiledPolicy, CompiledRoutePolicy } from 'cors-sentinel/internal/engine/compiled';
import { matchOrigin } from 'cors-sentinel/internal/origin/matcher';
import { parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';

/**
 * The one origin of a route on which no origin may be granted: the policy format refuses an empty list
 * (an unset variable would otherwise disable CORS unnoticed) and `origin: false` would pass preflights to
 * the app uncounted, while this answers them 403 and counts them, so report-only sees them. `.invalid`
 * is reserved never to resolve (RFC 6761): no page is ever served from it.
 */
export const NO_ORIGIN = 'https://no-origin-was-observed.invalid';

const SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** The evidence's name for the default route. */
export const DEFAULT_ROUTE = '*';

export interface RouteView {
  /** The route's `path` pattern, or `*` for the default route. */
  readonly key: string;
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  readonly headers: readonly string[];
  readonly credentials: boolean;
  /** `origin: true` (every origin reflected) or `'*'`: the route names no origins to keep or remove. */
  readonly open: boolean;
}

export interface PolicyView {
  readonly routes: ReadonlyMap<string, RouteView>;
  readonly compiled: CompiledPolicy;
}

export const routeKey = (route: CompiledRoutePolicy): string => route.pattern?.source ?? DEFAULT_ROUTE;

export function viewOf(options: CorsSentinelOptions): PolicyView {
  const compiled = compilePolicy(options);
  const routes = new Map<string, RouteView>();
  for (const route of [...compiled.routes, compiled.defaultRoute]) {
    routes.set(routeKey(route), {
      key: routeKey(route),
      origins: (route.summary.origins as string[]).filter((o) => o !== '*' && o !== NO_ORIGIN),
      // GET, HEAD and POST are always allowed (CORS-safelisted): listing them or not changes nothing.
      methods: [...route.methods].filter((m) => !SAFELISTED_METHODS.has(m)),
      headers: [...route.allowedHeaders],
      credentials: route.credentials,
      open: route.reflectAny || route.origins.any,
    });
  }
  return { routes, compiled };
}

/**
 * The configured entry (exact origin, wildcard or RegExp pattern) of any route that allows `origin`,
 * or undefined. `'*'` and reflection do not count: they name nobody.
 */
export function configuredMatch(view: PolicyView, origin: string): string | undefined {
  const parsed = parseRequestOrigin(origin);
  for (const route of [...view.compiled.routes, view.compiled.defaultRoute]) {
    if (origin === 'null') {
      if (route.origins.allowNull) return 'null';
      continue;
    }
    if (parsed === undefined) continue;
    const m = matchOrigin(route.origins, parsed);
    if (m !== undefined && m.kind !== 'any') return m.pattern ?? parsed.origin;
  }
  return undefined;
}

/** The routes (keys) whose configuration lists `origin` exactly. */
export function routesListing(view: PolicyView, origin: string): string[] {
  return [...view.routes.values()].filter((r) => r.origins.includes(origin)).map((r) => r.key);
}
