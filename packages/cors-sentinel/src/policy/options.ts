/**
 * One allowed origin:
 * - an exact origin, `https://app.example.com`, `http://localhost:5173`, `capacitor://localhost`
 *   (normalised: lower-case, default port elided, IDN hosts converted to punycode; a path is an error);
 * - a wildcard-subdomain pattern, `https://*.example.com` — one or more whole labels before
 *   `example.com`, never `example.com` itself (list the apex separately if it is a frontend too);
 * - an anchored RegExp without the `g` or `y` flag, `/^https:\/\/pr-\d+\.preview\.example\.com$/`,
 *   tested against the normalised origin on a linear-time engine (RE2: no lookarounds, no
 *   back-references); its reach is proven at start-up on its automaton: with credentials it must match
 *   only origins under the registrable domains it names (an unescaped dot, an open TLD, an unanchored
 *   label or an open end is refused, and so is a pattern the analysis cannot decide);
 * - `'*'`: any origin, for public, non-credentialed resources only.
 */
export type OriginSpec = string | RegExp;

/**
 * Decides at request time whether an origin is allowed, e.g. from a table of tenant domains.
 * Its answers are cached (positive and negative), concurrent lookups of one origin share one call,
 * and a call that throws or outlives `resolverTimeoutMs` rejects the request (fail closed).
 * The origin it receives is already parsed and normalised; `tenant` is set when `tenantFrom` is.
 * It is asked once about a random `.invalid` origin: one that says yes to that reflects every origin
 * and fails closed unless `dangerouslyReflectAnyOrigin` is set (never with credentials).
 * `req` is the framework's own request object: the IncomingMessage for Express and node:http, the
 * FastifyRequest for Fastify, the Context for Koa (all of them have `.headers`). Declare the type your
 * adapter hands over, e.g. `OriginResolver<IncomingMessage>`.
 */
export type OriginResolver<Req = never> = (origin: string, req: Req, tenant: string | undefined) => boolean | Promise<boolean>;

/** The `cors` package's function form: `(origin, callback)`, answered through the callback. */
export type CorsOriginCallback = (
  origin: string | undefined,
  callback: (err: Error | null, allow?: boolean | string | RegExp | Array<string | RegExp>) => void,
) => void;

/** Everything that makes up the CORS policy of one route (or of the default policy). */
export interface PolicyOptions {
  /** Allowed origins. `'*'` alone allows any origin (no credentials). Default: none. */
  origins?: OriginSpec | readonly OriginSpec[];
  /**
   * `cors`-package alias of `origins`: string, RegExp, array, `'*'`, a `(origin, callback)` function,
   * or `true` (reflect any origin — needs `dangerouslyReflectAnyOrigin`). `false` disables CORS handling
   * for the route. Callback answers obey the static rules: RegExps anchored (and, with credentials,
   * no broader than a listed site), `'*'` never with credentials, and a callback that allows an origin
   * nobody lists is reflection (needs `dangerouslyReflectAnyOrigin`); an answer that breaks a rule is a
   * resolver error and the request fails closed.
   */
  origin?: OriginSpec | readonly OriginSpec[] | boolean | CorsOriginCallback;
  /** Per-tenant or database-backed origins, consulted for origins the static list does not allow. */
  resolveOrigin?: OriginResolver;
  /** Resolver answers are cached this long. Default 60 000 ms for allowed, 10 000 ms for denied origins. */
  resolverCacheTtlMs?: number;
  resolverNegativeCacheTtlMs?: number;
  /** Maximum cached origins (least recently used are dropped). Default 10 000. */
  resolverCacheSize?: number;
  /** A lookup slower than this rejects the request as `resolver_timeout`. Default 500 ms. */
  resolverTimeoutMs?: number;
  /**
   * Per-tenant origins from a database (see `MemoryOriginStore`, `PostgresOriginStore`,
   * `RedisOriginStore`). Each tenant's set is cached and dropped when the store reports a change.
   * Use either this or `resolveOrigin`.
   */
  originStore?: import('../stores/types').OriginStore;
  /**
   * Loads per second of tenants not known to have origins (new or random tenant ids), beyond which
   * their lookups fail closed. Reloads of tenants known to have origins have a budget of their own
   * of the same size, so a flood of random ids cannot starve them. Default 200.
   */
  originStoreMaxLoadsPerSecond?: number;
  /**
   * Where the tenant id comes from: `{ path: /^\/t\/([^/]+)\// }`, `{ host: /^([a-z0-9-]+)\.api\.example\.com$/ }`
   * or `{ query: 'client_id' }`. Resolver answers are cached per tenant. A request without a tenant id
   * is not looked up (origin_not_allowed). A tenant is untrusted: with `credentials`, a query tenant
   * (which any page chooses) needs `dangerouslyAllowCredentialsWithQueryTenant`; a header tenant is
   * refused, as preflights never carry header values (docs/threat-model.md).
   */
  tenantFrom?: import('../stores/types').TenantSource;

  /** Methods allowed in preflights. Default GET, HEAD, PUT, PATCH, POST, DELETE (as `cors`). */
  methods?: string | readonly string[];
  /**
   * Request headers a preflight may ask for (`Access-Control-Request-Headers`), case-insensitive.
   * Default `['content-type']`. `'*'` allows any syntactically valid header name (no credentials).
   */
  allowedHeaders?: string | readonly string[];
  /** Response headers scripts may read (`Access-Control-Expose-Headers`). Default none. */
  exposedHeaders?: string | readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Default false. */
  credentials?: boolean;
  /**
   * Seconds a browser may cache a preflight (`Access-Control-Max-Age`). Default: not sent.
   * Capped at 86 400 (Firefox's cap); values above 7 200 (Chromium's cap) are kept with a warning.
   */
  maxAge?: number;
  /**
   * Answer Private Network Access preflights (`Access-Control-Allow-Private-Network`). Default false:
   * Chrome replaced PNA preflights with a Local Network Access permission prompt, so few browsers send them.
   */
  privateNetworkAccess?: boolean;

  /** Status of an allowed preflight. Default 204. (`cors` name.) */
  optionsSuccessStatus?: number;
  /** Status of a rejected preflight; its body and headers say nothing of the policy. Default 403. */
  rejectedPreflightStatus?: number;
  /** Pass allowed preflights on to the app after setting the headers instead of ending them. (`cors` name.) */
  preflightContinue?: boolean;
  /**
   * Answer actual cross-origin requests from rejected origins with `rejectedPreflightStatus`
   * instead of passing them to the app without CORS headers. CORS is not access control: without
   * this, a rejected origin's request still runs; only the browser hides the response.
   */
  rejectActualRequests?: boolean;

  /** Allow `null` (sandboxed iframes, `file://` pages, some redirects) and `file://` in `origins`. */
  dangerouslyAllowNullOrigin?: boolean;
  /** Allow `http://` origins other than loopback in a credentialed policy. */
  dangerouslyAllowInsecureOriginsWithCredentials?: boolean;
  /** Allow `origin: true`: every origin is reflected. Never combinable with credentials. */
  dangerouslyReflectAnyOrigin?: boolean;
  /** Echo any syntactically valid requested header instead of checking `allowedHeaders`. */
  dangerouslyReflectRequestHeaders?: boolean;
  /** Allow wildcard patterns under a public suffix (`https://*.github.io`) with credentials. */
  dangerouslyAllowPublicSuffixWildcards?: boolean;
  /**
   * Allow `tenantFrom: { query }` with credentials. Any page can put any tenant id in the query, so
   * only safe when every response on the route is scoped to that tenant (docs/threat-model.md).
   */
  dangerouslyAllowCredentialsWithQueryTenant?: boolean;
}

/** A policy that applies to the paths it names. */
export interface RoutePolicyOptions extends PolicyOptions {
  /**
   * `/exact`, `/prefix/*` (the prefix and everything under it) or `/prefix*` (any path starting
   * with it). Case-insensitive, like Express's default routing. The most specific match wins.
   */
  path: string;
  /** The `route` label in metrics and logs. Default: the path pattern. */
  name?: string;
  /**
   * A route that sets its own `origins`/`origin` does not consult the default policy's
   * `resolveOrigin`, `originStore` or `tenantFrom`: narrowing a route must not keep trusting every
   * tenant. Set this to `true` to consult them too. Default false.
   */
  inheritOriginResolver?: boolean;
}

/** Credentials a /metrics endpoint requires: a bearer token, or HTTP Basic. Secrets of 16 characters or more. */
export type MetricsAuth = { readonly bearerToken: string } | { readonly username: string; readonly password: string };

export interface MetricsOptions {
  /** prom-client Registry to register on. Default: a new Registry (never the global one). */
  registry?: import('prom-client').Registry;
  /** Metric name prefix. Default `cors_`. */
  prefix?: string;
  /** Origin label slots for origins not configured exactly (half reserved for allowed origins, the rest heavy hitters). Default 50. */
  originLabelLimit?: number;
  /**
   * The origin label guard's time scale: a slot is held at least this long, counts are halved this
   * often, and an unused label is released after 5× this (docs/metrics.md, the origin label guard).
   * Keep it longer than the scrape interval. Default 60 000 ms.
   */
  originLabelHoldMs?: number;
  /**
   * In a `node:cluster` worker: take origin label slots from the primary (which runs
   * `clusterMetrics()`) and offer this registry for aggregation, so that one `/metrics` sums all workers.
   */
  cluster?: boolean;
  /** Preflight latency buckets in seconds. */
  preflightBuckets?: readonly number[];
  /**
   * An OpenTelemetry `MeterProvider` (`@opentelemetry/api` 1.x): the series of docs/metrics.md are
   * recorded through OTel instruments on it instead of being served from a prom-client registry
   * (docs/opentelemetry.md). Excludes `registry` and `cluster`.
   */
  meterProvider?: { getMeter(name: string, version?: string): unknown };
}

/**
 * The evidence ledger (docs/evidence.md): per (route, origin), what was seen — first and last time, the
 * days, counts by request type and outcome, the methods and headers asked for, credentialed grants,
 * `Sec-Fetch-Site` — in bounded memory whatever the traffic, written to `file` for
 * `cors-sentinel suggest`. Off unless set; off costs nothing per request.
 */
export interface EvidenceOptions {
  /**
   * The evidence file (e.g. `cors-evidence.json`). Merged at start if it exists; written atomically
   * (temporary file, fsync, rename) every `flushIntervalMs` and on `close()`. One file per process:
   * processes that share a file overwrite each other's evidence (`suggest` merges one file per instance).
   * An existing file that is not valid evidence is left untouched; the evidence then goes to
   * `<file>.<time>-<pid>.json` with a warning.
   */
  file: string;
  /** How often the file is written. Default 60 000 ms (at least 1 000). */
  flushIntervalMs?: number;
  /** This process's name in the file's `instances`. Default `hostname:pid`. */
  instance?: string;
  /** The clock, in epoch milliseconds (a log replay passes each line's time; tests inject one). Default `Date.now`. */
  now?: () => number;
}

export interface LoggingOptions {
  /** Violation lines allowed per reason per interval before they are suppressed. Default 10. */
  maxPerInterval?: number;
  /** Length of the rate-limit interval; a summary of suppressed lines is logged after each. Default 10 000 ms. */
  intervalMs?: number;
  /** Level of violation lines. Default `warn`. */
  level?: string;
}

/**
 * A candidate policy evaluated beside the live one on every request but never enforced
 * (like `Content-Security-Policy-Report-Only`): its disagreements are counted in
 * `cors_shadow_decisions_total` and sampled in the log, so a stricter policy can be watched before it
 * is switched on. Validated exactly like the live policy; it has no metrics or logging settings of its own.
 */
export interface ReportOnlyPolicyOptions extends PolicyOptions {
  routes?: readonly RoutePolicyOptions[];
  defaultRouteName?: string;
}

export interface CorsSentinelOptions extends PolicyOptions {
  /** Per-path policies; each inherits unset options from the top-level (default) policy. */
  routes?: readonly RoutePolicyOptions[];
  /** The `route` label of requests no route pattern matches. Default `default`. */
  defaultRouteName?: string;
  /** Metric settings, or `false` for no metrics. */
  metrics?: MetricsOptions | false;
  /** A winston logger for violations, or `false` for none. Default: a JSON logger on stderr. */
  logger?: import('winston').Logger | false;
  logging?: LoggingOptions;
  /** A candidate policy to evaluate without enforcing it (see ReportOnlyPolicyOptions). */
  reportOnly?: ReportOnlyPolicyOptions;
  /** Record the evidence ledger to a file for `cors-sentinel suggest` (see EvidenceOptions). Default: off. */
  evidence?: EvidenceOptions;
  /**
   * Cross-origin request protection with Fetch Metadata (docs/fetch-metadata.md): counts, and in
   * `enforce` mode blocks, unsafe requests from other sites that CORS lets through (form POSTs,
   * `no-cors` fetches). `false` or unset: off.
   */
  crossOriginProtection?: CrossOriginProtectionOptions | false;
  /**
   * A server on localhost or a private address (an MCP server, a dev server, a local agent) that web
   * pages must not drive (docs/local-servers.md): a Host allowlist against DNS rebinding (403 before
   * any handler), a foreign Origin answered 403 on every method, cross-origin protection in enforce
   * mode and Private Network Access for the listed origins only. Sets `origins` itself.
   */
  localServer?: LocalServerOptions;
  /**
   * The key shared with `cors-sentinel probe --key-file` (docs/prober.md#signed-probes), at least 32
   * bytes: a string (its UTF-8 bytes) or a Buffer. Requests whose `CORS-Sentinel-Probe` signature
   * verifies are answered as usual but counted in `cors_probe_requests_total` instead of the request,
   * violation and distinct-origin series, so that scheduled probes raise no origin alert. Unset: the
   * header is never read.
   */
  probeKey?: string | Uint8Array;
}

export type ProtectionMode = 'report-only' | 'enforce';

export interface CrossOriginProtectionOptions {
  /**
   * `'report-only'` (default): cross-origin unsafe requests from untrusted origins reach the handler
   * and are counted (`decision="would_block"`) and logged. `'enforce'`: they are answered with
   * `status` (403) before any handler runs (`decision="blocked"`).
   */
  mode?: ProtectionMode;
  /**
   * Origins trusted to send unsafe cross-origin requests besides the CORS policy's own (see
   * `trustCorsOrigins`). Same syntax as `origins`; `'*'`, `null` and `file://` are refused.
   */
  trustedOrigins?: readonly OriginSpec[];
  /**
   * Trust the origins the CORS policy of the request's route lists (exact, wildcard, RegExp).
   * `'*'` and origins a resolver or store allows are never trusted this way. Default true.
   */
  trustCorsOrigins?: boolean;
  /**
   * Paths that are never judged, such as webhooks that other sites post to by design: `/exact`,
   * `/prefix/*` or `/prefix*`, as route paths. They are listed in `cors_config_info`.
   */
  bypass?: readonly string[];
  /** Status of a blocked request. Default 403. */
  status?: number;
  /** Allow plain-http origins other than loopback in `trustedOrigins` (a network attacker can forge them). */
  dangerouslyTrustInsecureOrigins?: boolean;
}

export interface LocalServerOptions {
  /**
   * Browser origins that may call the server (e.g. the MCP Inspector's `http://localhost:6274`).
   * Exact origins, wildcards or anchored RegExps as in `origins`; never `'*'`. `[]`: no page may
   * (clients that send no Origin — CLIs, SDKs, desktop apps — are served either way).
   */
  allowedOrigins: readonly OriginSpec[];
  /**
   * Host names (`Host` / `:authority`) the server answers to besides the loopback names `localhost`,
   * `127.0.0.1` and `[::1]`. A name without a port is allowed with the port the request arrived on;
   * `name:port` is allowed exactly (e.g. behind a port forward). No wildcards, schemes or paths.
   */
  allowedHosts?: readonly string[];
  /** Allow the `null` origin (sandboxed iframes, `file://` pages) — any site can produce it. */
  dangerouslyAllowNullOrigin?: boolean;
}
