/**
 * Traefik v3 (file provider, dynamic configuration): the `headers` middleware does CORS, but on its own
 * it answers every preflight 200 whatever the method, headers or origin asked, compares list origins as
 * exact text and runs unanchored regexes (pkg/middlewares/headers/header.go, docs/edge.md). So the
 * decision is taken by the routers, with the same anchored RE2 sources as Caddy's matchers, and each
 * route gets four routers, most specific first by priority:
 *   allowed preflight  → [preflight Vary, cors]       (the headers middleware answers it, never forwarded)
 *   other preflight    → [preflight Vary, reject]     (ipAllowList that admits nobody: the rejected status)
 *   allowed actual     → [cors, strip]                (the origin and the policy's headers)
 *   other requests     → [Vary: Origin, strip]        (no Access-Control-* at all)
 * `strip` removes the upstream's own Access-Control-* headers: the edge owns CORS.
 */
import { stringify } from 'yaml';
import type { EdgePlan, EdgeRoute, Refusal } from './plan';
import { CORS_RESPONSE_HEADERS } from './nginx';
import { allowedHeadersSource, echoedOriginsSource, methodsSource, ORIGIN_TOO_LONG, REQUEST_HEADERS_TOO_LARGE, routePathSource, wildcardOriginSource } from './regex';

export const TRAEFIK_FILE = 'traefik-dynamic.yaml';

/** An address no client connects from: ipAllowList then refuses every request with its rejectStatusCode. */
export const NO_CLIENT = '255.255.255.255/32';

/** What the routers and the headers middleware cannot say as cors-sentinel does, by name. */
export function traefikRefusals(plan: EdgePlan): Refusal[] {
  const refusals: Refusal[] = [];
  if (plan.routes.length > 1) {
    refusals.push({ route: '(policy)', code: 'traefik_routes', message: 'Traefik picks a router on its routing path, with %XX of unreserved characters decoded (pkg/muxer/http/mux.go), while cors-sentinel and the upstream read the path as received: /%70ublic/x would get the /public/* policy at Traefik and the default one in the middleware. Export one policy per router (a policy file without routes)' });
  }
  for (const r of plan.routes) {
    if (r.pattern !== undefined && r.pattern.literal.includes('`')) {
      refusals.push({ route: r.name, code: 'traefik_rule_text', message: `${r.pattern.source}: a backtick cannot be written inside a Traefik rule string` });
    }
    if (!r.disabled && r.actualVary.some((v) => v !== 'Origin')) {
      refusals.push({ route: r.name, code: 'traefik_vary', message: `Vary: ${r.actualVary.join(', ')}: the headers middleware only appends Origin` });
    }
  }
  return refusals;
}

/** A Traefik rule string (backticks: no escapes, so regex backslashes stay as written). */
const t = (text: string): string => `\`${text}\``;
const headerRegexp = (name: string, source: string): string => `HeaderRegexp(${t(name)}, ${t(source)})`;
const present = (name: string): string => headerRegexp(name, '^');

function rules(r: EdgeRoute): { path: string; preflight: string; allowedPreflight: string; allowedOrigin: string } {
  const path = r.pattern === undefined ? 'PathPrefix(`/`)' : `PathRegexp(${t(`(?i)${routePathSource(r.pattern)}`)})`;
  const preflight = `Method(${t('OPTIONS')}) && ${present('Origin')} && ${present('Access-Control-Request-Method')}`;
  const allowedOrigin = r.anyOnly ? present('Origin') : `${headerRegexp('Origin', echoedOriginsSource(r))} && !${headerRegexp('Origin', `^${ORIGIN_TOO_LONG}`)}`;
  const requestHeaders = `(!${present('Access-Control-Request-Headers')} || (${headerRegexp('Access-Control-Request-Headers', `(?i)^${allowedHeadersSource(r.allowedHeaders)}`)}`
    + ` && !${headerRegexp('Access-Control-Request-Headers', `^(?:${REQUEST_HEADERS_TOO_LARGE.join('|')})`)}))`;
  const allowedPreflight = [allowedOrigin, headerRegexp('Access-Control-Request-Method', `^${methodsSource(r.methods)}$`),
    `!${headerRegexp('Access-Control-Request-Private-Network', '^true$')}`, requestHeaders].join(' && ');
  return { path, preflight, allowedPreflight, allowedOrigin };
}

function header(r: EdgeRoute, name: string): string | undefined {
  return [...r.preflightHeaders, ...r.actualHeaders].find(([n]) => n === name)?.[1];
}

/** The headers middleware that answers allowed requests: the policy's values, the lists it sends joined by `,`. */
function corsMiddleware(r: EdgeRoute): Record<string, unknown> {
  const list = (name: string): string[] | undefined => header(r, name)?.split(', ');
  const maxAge = header(r, 'Access-Control-Max-Age');
  return {
    headers: {
      ...(r.anyOnly ? { accessControlAllowOriginList: ['*'] } : r.exact.length > 0 ? { accessControlAllowOriginList: [...r.exact] } : {}),
      ...(r.wildcards.length > 0 ? { accessControlAllowOriginListRegex: r.wildcards.map((w) => `^${wildcardOriginSource(w)}$`) } : {}),
      ...(header(r, 'Access-Control-Allow-Credentials') === 'true' ? { accessControlAllowCredentials: true } : {}),
      ...(list('Access-Control-Allow-Methods') ? { accessControlAllowMethods: list('Access-Control-Allow-Methods') } : {}),
      ...(list('Access-Control-Allow-Headers') ? { accessControlAllowHeaders: list('Access-Control-Allow-Headers') } : {}),
      ...(list('Access-Control-Expose-Headers') ? { accessControlExposeHeaders: list('Access-Control-Expose-Headers') } : {}),
      ...(maxAge !== undefined ? { accessControlMaxAge: Number(maxAge) } : {}),
      ...(r.actualVary.includes('Origin') ? { addVaryHeader: true } : {}),
    },
  };
}

interface Router { rule: string; priority: number; middlewares: string[]; service: string }

function routeConfig(r: EdgeRoute, i: number, priority: number): { routers: Record<string, Router>; middlewares: Record<string, unknown> } {
  const router = (rule: string, p: number, middlewares: string[]): Router => ({ rule, priority: p, middlewares, service: 'app' });
  const { path, preflight, allowedPreflight, allowedOrigin } = rules(r);
  if (r.disabled) return { routers: { [`cors-${i}-off`]: router(path, priority, ['cors-strip']) }, middlewares: {} };
  const routers: Record<string, Router> = {
    [`cors-${i}-preflight-allowed`]: router(`${path} && ${preflight} && ${allowedPreflight}`, priority + 3, [`cors-${i}-preflight-vary`, `cors-${i}`]),
    [`cors-${i}-preflight-rejected`]: router(`${path} && ${preflight}`, priority + 2, [`cors-${i}-preflight-vary`, `cors-${i}-reject`]),
    [`cors-${i}-allowed`]: router(`${path} && ${allowedOrigin}`, priority + 1, [`cors-${i}`, 'cors-strip']),
    [`cors-${i}-other`]: router(path, priority, r.actualVary.length > 0 ? [`cors-${i}-vary`, 'cors-strip'] : ['cors-strip']),
  };
  const middlewares: Record<string, unknown> = {
    [`cors-${i}`]: corsMiddleware(r),
    [`cors-${i}-preflight-vary`]: { headers: { customResponseHeaders: { Vary: r.preflightVary.join(', ') } } },
    [`cors-${i}-reject`]: { ipAllowList: { sourceRange: [NO_CLIENT], rejectStatusCode: r.rejectedStatus } },
    ...(r.actualVary.length > 0 ? { [`cors-${i}-vary`]: { headers: { addVaryHeader: true } } } : {}),
  };
  return { routers, middlewares };
}

export function traefikDynamicConfig(plan: EdgePlan): string {
  const routers: Record<string, Router> = {};
  const middlewares: Record<string, unknown> = {
    'cors-strip': { headers: { customResponseHeaders: Object.fromEntries(CORS_RESPONSE_HEADERS.map((h) => [h, ''])) } },
  };
  plan.routes.forEach((r, i) => {
    // Most specific first: each route's routers outrank every later route's (Traefik sorts by priority, highest first).
    const part = routeConfig(r, i, (plan.routes.length - i) * 10);
    Object.assign(routers, part.routers);
    Object.assign(middlewares, part.middlewares);
  });
  const doc = { http: { routers, middlewares, services: { app: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:8080' }] } } } } };
  return `# cors-sentinel export (Traefik v3, file provider): set services.app to your upstream; routers attach to every entry point.\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
