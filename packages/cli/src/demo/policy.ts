/**
 * The demo's embedded default policy: the shapes real deployments have — browser frontends, a
 * tenant wildcard, per-tenant custom domains from a "database", mobile app origins, a public route,
 * a credentialed route and per-service policies.
 */
import type { CorsSentinelOptions, OriginResolver, ReportOnlyPolicyOptions } from 'cors-sentinel/internal/policy/options';

export const DEMO_FRONTENDS = ['https://app.example.com', 'https://admin.example.com', 'http://localhost:5173'] as const;
export const DEMO_MOBILE = ['capacitor://localhost', 'ionic://localhost'] as const;
export const DEMO_TENANT_WILDCARD = 'https://*.tenant.example.com';

/** Custom domains of tenants, as a table the resolver looks up (here in memory, with a DB-like delay). */
export const DEMO_TENANT_DOMAINS: ReadonlyMap<string, string> = new Map([
  ['https://shop.acme-corp.com', 'acme'],
  ['https://portal.globex.io', 'globex'],
]);

const lookupTenantDomain: OriginResolver = (origin) =>
  new Promise((resolve) => setTimeout(() => resolve(DEMO_TENANT_DOMAINS.has(origin)), 2));

export function demoPolicy(): CorsSentinelOptions {
  return {
    origins: [...DEMO_FRONTENDS, ...DEMO_MOBILE, DEMO_TENANT_WILDCARD],
    resolveOrigin: lookupTenantDomain,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
    defaultRouteName: 'api',
    // Counts cross-site form POSTs and no-cors writes (CSRF) without blocking them yet; webhooks are posted from other sites by design.
    crossOriginProtection: { mode: 'report-only', bypass: ['/webhooks/*'] },
    routes: [
      // Public, cacheable data: any site may read it, never with cookies.
      { path: '/public/*', name: 'public', origins: '*', credentials: false, resolveOrigin: undefined, maxAge: 7200 },
      // The account area trusts only the first-party app.
      { path: '/api/account/*', name: 'account', origins: ['https://app.example.com'], resolveOrigin: undefined },
      // Per-service policies, as in a gateway in front of microservices.
      { path: '/api/products*', name: 'products', methods: ['GET', 'HEAD'] },
      { path: '/api/orders*', name: 'orders' },
    ],
  };
}

/** The report-only candidate: drops the tenant wildcard and admits a partner, so both kinds of change show. */
export function demoCandidatePolicy(): ReportOnlyPolicyOptions {
  const { routes, crossOriginProtection: _liveOnly, ...policy } = demoPolicy();
  return { ...policy, routes, origins: [...DEMO_FRONTENDS, ...DEMO_MOBILE, 'https://partner.example.net'] };
}
