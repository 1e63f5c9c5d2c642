/**
 * The framework-independent core that adapters wrap: the compiled policy, the engine, and the
 * observers of its decisions (metrics and the violation log).
 */
import type { EnforceFinding, ProxyFinding } from './contract';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import type { CorsRequest, Decision } from './engine/decision';
import { decide } from './engine/decide';
import { explain, type Explanation } from './engine/explain';
import { compilePolicy } from './engine/compile-policy';
import { nodeRoutingPath } from './http/routing-path';
import type { CompiledPolicy } from './engine/compiled';
import type { CorsSentinelOptions } from './policy/options';
import type { CorsMetrics } from './metrics/metrics';
import type { MetricsHandler, MetricsHandlerOptions, MetricsServerOptions } from './metrics/handler';
import { compileWithCandidate } from './report-only';
import { createInstrumentation, createShadowEvaluator, probeAwareRecord, type RecordedRequest } from './instrumentation';
import { storeLookupObserver } from './metrics/store-lookups';
import { watchOriginStores } from './engine/store-watchers';
import { createPort, type Port } from './port';
import { sentinelProtector } from './fetch-metadata/sentinel';
import type { ProtectionVerdict } from './fetch-metadata/protect';
import { hostRefusal, isHostAllowed } from './engine/host-allowlist';
import { selectRoute } from './engine/decide';
import { evidenceRouteKeys } from './evidence/routes';

/** The compiled policy, its observers and the port (`handle`/`serve`) that adapters go through. */
export interface Sentinel extends Port {
  readonly policy: CompiledPolicy;
  /** The registry the metrics live on (undefined with `metrics: false`). */
  readonly registry: Registry | undefined;
  readonly metrics: CorsMetrics | undefined;
  readonly logger: winston.Logger | undefined;
  decide(req: CorsRequest): Decision | Promise<Decision>;
  /**
   * Counts and logs a decision; `seconds` is the time to answer a preflight. `request` (its method
   * and path) is named in violation lines; the evidence ledger also reads its preflight and Sec-Fetch-Site headers;
   * with `probeKey`, its target and headers identify a signed probe.
   */
  record(decision: Decision, seconds: number, rawOrigin?: string, request?: RecordedRequest): void;
  /** Counts and logs a finding about a response (e.g. a second CORS layer). */
  reportFinding(finding: EnforceFinding | ProxyFinding, details: Readonly<Record<string, string>>): void;
  /**
   * The decision with a sentence saying why: a Promise only when an origin must be looked up (see
   * `explainSync`). `req.path` is read as the middleware reads a target (src/http/routing-path.ts: the
   * query stripped, an absolute-form target reduced to its path); a TypeError for one it cannot route.
   */
  explain(req: CorsRequest): Explanation | Promise<Explanation>;
  /** A `(req, res)` handler for `/metrics`, usable with Express or node:http. */
  metricsHandler(options?: MetricsHandlerOptions): MetricsHandler;
  /** Serves the metrics on a separate port (127.0.0.1 by default). */
  serveMetrics(options: MetricsServerOptions): Promise<Server>;
  /** The compiled report-only candidate (`reportOnly` option), evaluated on every request but never enforced. */
  readonly candidate: CompiledPolicy | undefined;
  /**
   * Starts the candidate's decision for a request (undefined without `reportOnly`); complete it with
   * the live decision. Never awaited on the request path.
   */
  beginReportOnly(req: CorsRequest): { complete(live: Decision): void } | undefined;
  /** Resolves once every report-only comparison started so far has been counted. */
  settleReportOnly(): Promise<void>;
  /**
   * Cross-origin request protection (`crossOriginProtection`): the verdict on an unsafe request,
   * counted and logged; `blocked` ones must be answered with `status` before CORS and the app.
   * Undefined when the option is off or the method is safe.
   */
  protect(req: CorsRequest): ProtectionVerdict | undefined;
  /** Flushes log summaries, writes the evidence file (`evidence` option) and stops timers. */
  close(): void;
}

export function createSentinel(options: CorsSentinelOptions = {}): Sentinel {
  const { live: policy, candidate } = compileWithCandidate(() => compilePolicy(options), options.reportOnly);
  const inst = createInstrumentation(options, configuredOrigins(policy), credentialedRoutes(policy), evidenceRouteKeys(policy, false));
  const { logger, metrics, recorder } = inst;
  for (const w of policy.warnings) logger?.warn('cors-sentinel configuration warning', { path: w.path, warning: w.message });
  for (const w of candidate?.warnings ?? []) logger?.warn('cors-sentinel configuration warning', { path: `reportOnly.${w.path}`, warning: w.message });
  if (recorder) {
    recorder.describePolicy(policy);
    for (const route of [policy.defaultRoute, ...policy.routes]) route.resolver?.addObserver(recorder);
    if (inst.metrics) countLookupsByStore(policy, inst.metrics);
  }
  const shadow = createShadowEvaluator(candidate, inst);
  const protector = sentinelProtector(policy, inst);
  const stopWatchingLive = watchOriginStores(policy);
  const stopWatchingCandidate = candidate ? watchOriginStores(candidate) : () => undefined;

  const parts = {
    decide: (req: CorsRequest) => decide(policy, req),
    record: probeAwareRecord(policy.probeKey, inst),
    reportFinding: (finding: EnforceFinding | ProxyFinding, details: Readonly<Record<string, string>>) => inst.finding(finding, details),
    beginReportOnly: (req: CorsRequest) => shadow?.begin(req),
    protect: (req: CorsRequest) => protector?.protect(req),
    screen: hostScreen(policy),
  };

  return {
    ...parts,
    ...createPort(parts),
    policy,
    registry: metrics?.registry,
    metrics,
    logger,
    explain: (req) => explain(policy, routedRequest(req)),
    metricsHandler: (handlerOptions) => inst.metricsHandler(handlerOptions),
    serveMetrics: (serverOptions) => inst.serveMetrics(serverOptions),
    candidate,
    settleReportOnly: async () => shadow?.settled(),
    close() {
      stopWatchingLive();
      stopWatchingCandidate();
      inst.close();
    },
  };
}

/** Each resolver's lookups under its store's name (cors_origin_store_lookups_total), once per resolver. */
function countLookupsByStore(policy: CompiledPolicy, metrics: CorsMetrics): void {
  const seen = new Set<object>();
  for (const route of [policy.defaultRoute, ...policy.routes]) {
    const resolver = route.resolver;
    if (resolver === undefined || seen.has(resolver)) continue;
    seen.add(resolver);
    resolver.addObserver(storeLookupObserver(metrics, route.storeCache?.storeName ?? 'resolveOrigin'));
  }
}

/** The `localServer` Host allowlist as the port's screen (undefined without one). */
function hostScreen(policy: CompiledPolicy): ((req: CorsRequest) => Decision | undefined) | undefined {
  const hosts = policy.hosts;
  if (hosts === undefined) return undefined;
  return (req) => (isHostAllowed(hosts, req) ? undefined : hostRefusal(selectRoute(policy, req.path), req));
}

/** `req` with its path as the middleware routes it, so that explain() judges what a request would get. */
function routedRequest(req: CorsRequest): CorsRequest {
  const path = nodeRoutingPath(req.path);
  if (path === undefined) throw new TypeError(`cors-sentinel: explain(): ${JSON.stringify(req.path)} is not a request target a server would route (the middleware answers it 400)`);
  return path === req.path ? req : { ...req, path, target: req.target ?? req.path };
}

/** Routes whose responses may carry credentials: their rejections are logged on a budget of their own. */
export function credentialedRoutes(policy: CompiledPolicy): Set<string> {
  const out = new Set<string>();
  for (const route of [policy.defaultRoute, ...policy.routes]) if (route.credentials) out.add(route.name);
  return out;
}

/** Origins listed exactly anywhere in the policy: they always keep their own metric label. */
function configuredOrigins(policy: CompiledPolicy): Set<string> {
  const out = new Set<string>();
  for (const route of [policy.defaultRoute, ...policy.routes]) for (const o of route.origins.exact) out.add(o);
  return out;
}
