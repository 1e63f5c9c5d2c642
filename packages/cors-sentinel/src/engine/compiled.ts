import type { CorsRequest, HeaderPair, Decision, Reason } from './decision';
import type { ResolverCache } from './resolver-cache';
import type { TenantOriginCache } from '../stores/tenant-cache';
import type { CompiledOrigins } from '../origin/matcher';
import type { ConfigWarning } from '../policy/errors';
import type { RoutePattern } from '../policy/routes';

/** How a policy decides origins; the `origin_policy` label of `cors_config_info`. */
export type OriginPolicyKind = 'any' | 'list' | 'resolver' | 'list+resolver' | 'reflect' | 'disabled';

/** One route's policy, validated and frozen. Everything the engine needs per request is precomputed. */
export interface CompiledRoutePolicy {
  readonly name: string;
  readonly pattern: RoutePattern | undefined;
  readonly originPolicy: OriginPolicyKind;
  readonly origins: CompiledOrigins;
  /** Only `'*'`: the answer does not depend on Origin, so it carries `*` everywhere and no Vary. */
  readonly anyOnly: boolean;
  readonly reflectAny: boolean;
  readonly resolver: ResolverCache | undefined;
  /** The request's tenant id, when the policy declares `tenantFrom` (and has a resolver or store). */
  readonly tenantOf: ((req: CorsRequest) => string | undefined) | undefined;
  /** The per-tenant cache over an `originStore`, to invalidate when the store reports changes. */
  readonly storeCache: TenantOriginCache | undefined;
  readonly credentials: boolean;
  readonly allowInsecureWithCredentials: boolean;
  readonly methods: ReadonlySet<string>;
  readonly allowedHeaders: ReadonlySet<string>;
  /** `allowedHeaders: '*'` (no credentials) or `dangerouslyReflectRequestHeaders`: any valid name passes. */
  readonly anyRequestHeader: boolean;
  /** With `allowedHeaders: '*'`: Authorization still has to be listed, as browsers require. */
  readonly authorizationNeedsListing: boolean;
  readonly privateNetworkAccess: boolean;
  readonly preflightStatus: number;
  readonly rejectedStatus: number;
  readonly preflightContinue: boolean;
  readonly rejectActualRequests: boolean;
  /** Headers of an allowed actual response, after Access-Control-Allow-Origin. */
  readonly actualHeaders: readonly HeaderPair[];
  /** Headers of an allowed preflight, after Access-Control-Allow-Origin (and before a reflected ACAH). */
  readonly preflightHeaders: readonly HeaderPair[];
  readonly actualVary: readonly string[];
  readonly preflightVary: readonly string[];
  /** The frozen decision for requests without CORS on this route. */
  readonly nonCors: Decision;
  /**
   * Per exactly listed origin (its normalised form, which is what browsers send): the frozen answers
   * that depend on nothing else, so that the common request costs one Map lookup, not a parse.
   */
  readonly exactGrants: ReadonlyMap<string, ExactGrant>;
  /**
   * The last origin looked up in exactGrants and its answer (mutable; the route object itself is
   * frozen): a frontend sends the same Origin request after request, and comparing with the last one
   * costs less than hashing the fresh header string for the map.
   */
  readonly lastExactGrant: { origin: string; grant: ExactGrant | undefined };
  /**
   * Memo of `Access-Control-Request-Headers` verdicts for this route. Keys are request text, so it is
   * bounded (count and key length, first come) and holds only what parseRequestedHeaders would answer.
   */
  readonly requestHeaderVerdicts: Map<string, HeaderVerdict>;
  /** The last memoised verdict and its request text (mutable; the route object itself is frozen). */
  readonly lastHeaderVerdict: { requested: string; verdict: HeaderVerdict | undefined };
  /** A summary of the options for `explain()` and the config hash. */
  readonly summary: Readonly<Record<string, unknown>>;
}

/** The answers for one exactly listed origin on one route. */
export interface ExactGrant {
  /** An allowed actual request. */
  readonly actual: Decision;
  /** An actual request with cookies on a route without credentials (the browser will refuse it). */
  readonly actualRefused: Decision;
  /** An allowed preflight that needs no echoed request headers and no Private Network Access. */
  readonly preflight: Decision;
}

/** What a route answers to one `Access-Control-Request-Headers` value. */
export type HeaderVerdict =
  | { readonly ok: true; readonly echoed: string | undefined }
  | { readonly ok: false; readonly reason: Reason; readonly offending?: string | undefined };

export interface CompiledPolicy {
  readonly defaultRoute: CompiledRoutePolicy;
  /** Route policies, most specific first. */
  readonly routes: readonly CompiledRoutePolicy[];
  /** Short hash of the normalised configuration: changes when the policy does. */
  readonly hash: string;
  readonly warnings: readonly ConfigWarning[];
  /** Cross-origin request protection (Fetch Metadata), when `crossOriginProtection` is set. */
  readonly crossOriginProtection?: import('../policy/cross-origin-protection').CompiledProtection | undefined;
  /** The `localServer` Host allowlist (DNS-rebinding protection): checked before everything else. */
  readonly hosts?: CompiledHostAllowlist | undefined;
  /** `probeKey`: verifies the prober's signatures (src/http/probe-signature.ts); never hashed or shown. */
  readonly probeKey?: Buffer | undefined;
}

/** The `localServer` Host allowlist, compiled (engine/host-allowlist.ts builds it). */
export interface CompiledHostAllowlist {
  /** Whether `host` (and `authority`, when present) may be served on a connection to `localPort`. */
  allows(host: string | undefined, authority: string | undefined, localPort: number | undefined): boolean;
  readonly summary: { readonly names: readonly string[]; readonly hostPorts: readonly string[] };
}
