/**
 * The framework-independent core that adapters wrap: the compiled policy, the engine, and the
 * observers of its decisions (metrics and the violation log).
 */
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import type { CorsRequest, Decision } from './engine/decision';
import { decide } from './engine/decide';
import { explain, type Explanation } from './engine/explain';
import { compilePolicy } from './engine/compile-policy';
import { nodeRoutingPath } from './http/routing-path';
import type { CompiledPolicy } from './engine/compiled';
import type { CorsSentinelOptions, LoggingOptions, MetricsOptions } from './policy/options';
import { createDefaultLogger, ViolationLogger, type RequestSummary } from './logging/violation-logger';
import { createCorsMetrics, type CorsMetrics } from './metrics/metrics';
import { createMetricsHandler, serveMetrics, type MetricsHandler, type MetricsHandlerOptions, type MetricsServerOptions } from './metrics/handler';
import { DEFAULT_ORIGIN_LABEL_LIMIT, OriginLabeler } from './metrics/origin-labeler';
import { MetricsRecorder } from './metrics/recorder';
import { DEFAULT_LABEL_HOLD_MS } from './metrics/label-guard';
import { joinClusterMetrics } from './cluster';
import { compileWithCandidate, ShadowEvaluator } from './observer/report-only';
import { watchOriginStores } from './engine/store-watchers';
import { createPort, type Port } from './port';
import { sentinelProtector } from './fetch-metadata/sentinel';
import type { ProtectionVerdict } from './fetch-metadata/protect';

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
   * and path) is named in violation lines.
   */
  record(decision: Decision, seconds: number, rawOrigin?: string, request?: RequestSummary): void;
  /** Counts and logs a finding about a response (e.g. a second CORS layer). */
  reportFinding(finding: string, details: Readonly<Record<string, string>>): void;
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
  /** Flushes log summaries and stops timers. */
  close(): void;
}

/** What both the enforcing sentinel and the observer report through. */
export interface Instrumentation {
  readonly logger: winston.Logger | undefined;
  readonly violations: ViolationLogger;
  readonly metrics: CorsMetrics | undefined;
  readonly recorder: MetricsRecorder | undefined;
}

export interface InstrumentationOptions {
  readonly metrics?: MetricsOptions | false;
  readonly logger?: winston.Logger | false;
  readonly logging?: LoggingOptions;
}

/**
 * Sets up the logger, the flood-safe violation log and the metric contract; `configured` origins keep
 * their own label. Rejections of configured origins, of origins allowed before (the label guard's
 * reserved slots) and on `credentialedRoutes` are logged on budgets of their own.
 */
export function createInstrumentation(
  options: InstrumentationOptions,
  configured: ReadonlySet<string>,
  credentialedRoutes: ReadonlySet<string> = new Set(),
): Instrumentation {
  const logger = options.logger === false ? undefined : (options.logger ?? createDefaultLogger());
  const violations = new ViolationLogger(logger, options.logging);
  let metrics: CorsMetrics | undefined;
  let recorder: MetricsRecorder | undefined;
  if (options.metrics !== false) {
    const m = options.metrics ?? {};
    const limit = m.originLabelLimit ?? DEFAULT_ORIGIN_LABEL_LIMIT;
    if (!Number.isInteger(limit) || limit < 0) throw new TypeError('cors-sentinel: metrics.originLabelLimit must be a whole number ≥ 0');
    const holdMs = m.originLabelHoldMs ?? DEFAULT_LABEL_HOLD_MS;
    if (!Number.isInteger(holdMs) || holdMs < 100) throw new TypeError('cors-sentinel: metrics.originLabelHoldMs must be a whole number of milliseconds ≥ 100 (default 60000)');
    metrics = createCorsMetrics({ registry: m.registry, prefix: m.prefix, preflightBuckets: m.preflightBuckets });
    const authority = m.cluster ? joinClusterMetrics(metrics.registry) : undefined;
    recorder = new MetricsRecorder(metrics, new OriginLabeler(limit, configured, authority, holdMs));
  }
  const labeler = recorder?.labeler;
  violations.setPriority((d) => {
    const origin = d.origin;
    if (origin !== undefined && (configured.has(origin) || labeler?.wasAllowed(origin) === true)) return 'previously_allowed';
    return credentialedRoutes.has(d.route) ? 'credentialed_route' : undefined;
  });
  return { logger, violations, metrics, recorder };
}

/** The report-only evaluator for a candidate, reporting through `inst` (undefined without a candidate). */
export function createShadowEvaluator(candidate: CompiledPolicy | undefined, inst: Instrumentation): ShadowEvaluator | undefined {
  if (candidate === undefined) return undefined;
  return new ShadowEvaluator(candidate, (route, change, details) => {
    inst.recorder?.shadow(route, change);
    inst.violations.shadow(change, details);
  });
}

export function createSentinel(options: CorsSentinelOptions = {}): Sentinel {
  const { live: policy, candidate } = compileWithCandidate(() => compilePolicy(options), options.reportOnly);
  const inst = createInstrumentation(options, configuredOrigins(policy), credentialedRoutes(policy));
  const { logger, violations, metrics, recorder } = inst;
  for (const w of policy.warnings) logger?.warn('cors-sentinel configuration warning', { path: w.path, warning: w.message });
  for (const w of candidate?.warnings ?? []) logger?.warn('cors-sentinel configuration warning', { path: `reportOnly.${w.path}`, warning: w.message });
  if (recorder) {
    recorder.describePolicy(policy);
    for (const route of [policy.defaultRoute, ...policy.routes]) route.resolver?.addObserver(recorder);
  }
  const shadow = createShadowEvaluator(candidate, inst);
  const protector = sentinelProtector(policy, inst);
  const stopWatchingLive = watchOriginStores(policy);
  const stopWatchingCandidate = candidate ? watchOriginStores(candidate) : () => undefined;

  const parts = {
    decide: (req: CorsRequest) => decide(policy, req),
    record(decision: Decision, seconds: number, rawOrigin?: string, request?: RequestSummary) {
      recorder?.record(decision, seconds, rawOrigin);
      if (decision.outcome === 'rejected') violations.violation(decision, rawOrigin, request);
    },
    reportFinding(finding: string, details: Readonly<Record<string, string>>) {
      recorder?.finding(finding);
      violations.finding(finding, details);
    },
    beginReportOnly: (req: CorsRequest) => shadow?.begin(req),
    protect: (req: CorsRequest) => protector?.protect(req),
  };

  return {
    ...parts,
    ...createPort(parts),
    policy,
    registry: metrics?.registry,
    metrics,
    logger,
    explain: (req) => explain(policy, routedRequest(req)),
    metricsHandler(handlerOptions) {
      if (!metrics) throw new Error('cors-sentinel: metrics are disabled (metrics: false)');
      return createMetricsHandler(metrics.registry, handlerOptions);
    },
    serveMetrics(serverOptions) {
      if (!metrics) return Promise.reject(new Error('cors-sentinel: metrics are disabled (metrics: false)'));
      return serveMetrics(metrics.registry, serverOptions);
    },
    candidate,
    settleReportOnly: async () => shadow?.settled(),
    close() {
      stopWatchingLive();
      stopWatchingCandidate();
      recorder?.close();
      violations.close();
    },
  };
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
