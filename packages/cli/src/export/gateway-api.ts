/**
 * Gateway API (v1.5+, standard channel): an HTTPRoute whose rule carries the `CORS` filter and a
 * `ResponseHeaderModifier` that adds Vary. No gateway is packaged here, so the output is checked against
 * the published schema (@kubernetes-models/gateway-api) and by decision tables (docs/edge.md).
 * What the filter cannot say as cors-sentinel does is refused: case-insensitive or non-segment routes,
 * origins other than http(s)://host[:port], methods outside the schema's list.
 */
import { stringify } from 'yaml';
import type { EdgePlan, EdgeRoute, Refusal } from './plan';

export const GATEWAY_API_FILE = 'httproute.yaml';

/** The methods HTTPMethodWithWildcard accepts. */
const SCHEMA_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
const HTTP_ORIGIN = /^https?:\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?$/;

/** What the CORS filter cannot express exactly, by name. */
export function gatewayApiRefusals(plan: EdgePlan): Refusal[] {
  const refusals: Refusal[] = [];
  const route = plan.routes[plan.routes.length - 1] as EdgeRoute;
  if (plan.routes.length > 1) {
    refusals.push({ route: '(policy)', code: 'gateway_api_routes', message: 'HTTPRoute path matches are case-sensitive and PathPrefix is segment-wise; cors-sentinel routes are case-insensitive. Export one policy per HTTPRoute (a policy file without routes)' });
  }
  for (const origin of route.exact) {
    if (!HTTP_ORIGIN.test(origin)) refusals.push({ route: route.name, code: 'gateway_api_origin', message: `${origin}: the CORS filter takes only http(s)://host[:port] origins (no null, custom schemes or IP literals in brackets)` });
  }
  for (const m of route.methods) {
    if (!SCHEMA_METHODS.has(m)) refusals.push({ route: route.name, code: 'gateway_api_method', message: `${m}: not a method the CORS filter accepts` });
  }
  return refusals;
}

export function httpRoute(plan: EdgePlan): string {
  const route = plan.routes[plan.routes.length - 1] as EdgeRoute;
  const filters: unknown[] = [];
  if (!route.disabled) {
    const origins = route.anyOnly ? ['*'] : [...route.exact, ...route.wildcards.map((w) => `${w.scheme}://*.${w.suffix}${w.port === '' ? '' : `:${w.port}`}`)];
    const header = (name: string): string | undefined => [...route.preflightHeaders, ...route.actualHeaders].find(([n]) => n === name)?.[1];
    const list = (name: string): string[] | undefined => header(name)?.split(', ');
    const maxAge = header('Access-Control-Max-Age');
    filters.push({
      type: 'CORS',
      cors: {
        allowOrigins: origins,
        ...(header('Access-Control-Allow-Credentials') === 'true' ? { allowCredentials: true } : {}),
        ...(list('Access-Control-Allow-Methods') ? { allowMethods: list('Access-Control-Allow-Methods') } : {}),
        ...(route.allowedHeaders.length > 0 ? { allowHeaders: [...route.allowedHeaders] } : {}),
        ...(list('Access-Control-Expose-Headers') ? { exposeHeaders: list('Access-Control-Expose-Headers') } : {}),
        ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}),
      },
    });
    // The filter says nothing of Vary: every answer depends on Origin (and preflights on the request headers).
    filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'Vary', value: route.preflightVary.join(', ') }] } });
  }
  const doc = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'cors-sentinel' },
    spec: {
      parentRefs: [{ name: 'gateway' }],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], filters, backendRefs: [{ name: 'app', port: 80 }] }],
    },
  };
  return `# cors-sentinel export (Gateway API): set parentRefs and backendRefs to your Gateway and Service.\n${stringify(doc)}`;
}
