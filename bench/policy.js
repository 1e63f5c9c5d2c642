'use strict';
/**
 * The one CORS policy every benchmarked server implements, so that the servers differ only in how
 * they implement it: an allowlist of three exact origins, credentials, maxAge, two request headers.
 */

const ALLOWED_ORIGIN = 'https://app.example.com';
const REJECTED_ORIGIN = 'https://evil.example.net';
const ORIGINS = [ALLOWED_ORIGIN, 'https://admin.example.com', 'https://partner.example.org'];
const METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];
const ALLOWED_HEADERS = ['content-type', 'authorization'];
const MAX_AGE = 600;
/** A tenant header every workload still sends, so that requests stay alike (no server reads it any more). */
const TENANT_HEADER = 'x-tenant-id';
const TENANT = 'acme';
/**
 * The resolver server binds the tenant to the host the API is served on (a header tenant cannot pass a
 * browser preflight, and a cross-site page cannot re-point a host): here the loopback address.
 */
const TENANT_HOST = '127.0.0.1';
/** Tenants and their origins, as the async resolver would find them in a database. */
const TENANT_ORIGINS = new Map([[TENANT_HOST, new Set(ORIGINS)]]);
const BODY = JSON.stringify({ ok: true, items: [1, 2, 3] });

/** Options for cors-sentinel's enforce mode (static allowlist). */
function sentinelOptions(extra = {}) {
  return {
    origins: ORIGINS,
    credentials: true,
    maxAge: MAX_AGE,
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    ...extra,
  };
}

/** The same policy with the origins behind an async, per-tenant resolver (answers are cached). */
function resolverOptions(extra = {}) {
  return {
    resolveOrigin: async (origin, _req, tenant) => TENANT_ORIGINS.get(tenant)?.has(origin) === true,
    tenantFrom: { host: /^(127\.0\.0\.1)$/ },
    credentials: true,
    maxAge: MAX_AGE,
    methods: METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    ...extra,
  };
}

/** Options for the `cors` package with the same semantics. */
function corsOptions() {
  return { origin: ORIGINS, credentials: true, maxAge: MAX_AGE, methods: METHODS, allowedHeaders: ALLOWED_HEADERS };
}

module.exports = {
  ALLOWED_ORIGIN, REJECTED_ORIGIN, ORIGINS, METHODS, ALLOWED_HEADERS, MAX_AGE, TENANT_HEADER, TENANT, TENANT_HOST, BODY,
  sentinelOptions, resolverOptions, corsOptions,
};
