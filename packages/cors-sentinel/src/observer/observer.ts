/**
 * The observer's framework-independent core: validated settings, the same instrumentation as enforce
 * mode (metric contract, origin label guard, flood-safe log) and the report-only candidate. It never
 * decides anything about a response; it judges what another layer wrote.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import type { CorsRequest, Decision } from '../engine/decision';
import { observedDecision } from '../engine/decision-builder';
import { selectRoute } from '../engine/decide';
import type { MetricsHandler, MetricsHandlerOptions, MetricsServerOptions } from '../metrics/handler';
import type { CorsMetrics } from '../metrics/metrics';
import { compileOrigins } from '../origin/compile';
import { describe } from '../origin/describe';
import { type CompiledOrigins } from '../origin/matcher';
import { compilePolicy } from '../engine/compile-policy';
import type { CompiledPolicy } from '../engine/compiled';
import { CorsConfigError, ProblemCollector } from '../policy/errors';
import { checkKeys, checkNestedOptions } from '../policy/nested-options';
import type { EvidenceOptions, LoggingOptions, MetricsOptions, OriginSpec, ReportOnlyPolicyOptions } from '../policy/options';
import { evidenceRouteKeys } from '../evidence/routes';
import { createInstrumentation, createShadowEvaluator, probeAwareRecord, type Instrumentation } from '../instrumentation';
import { watchOriginStores } from '../engine/store-watchers';
import { auditResponse, type AuditResponse, type AuditResult } from './audit';
import { compileWithCandidate } from '../report-only';

export interface ObservedRoute {
  /** `/exact`, `/prefix/*` or `/prefix*`, as in enforce mode's `routes`. */
  path: string;
  /** The `route` label. Default: the path pattern. */
  name?: string;
}

export interface CorsObserverOptions {
  /** Route patterns that name the `route` label (other keys of enforce-mode routes are ignored). */
  routes?: readonly ObservedRoute[];
  /** The `route` label of requests no pattern matches. Default `default`. */
  defaultRouteName?: string;
  /**
   * Origins the operator means to trust (same syntax as `origins`, `null` allowed). An origin outside
   * them that is granted with credentials counts as `reflected_origin_with_credentials`; exact ones
   * always keep their own origin label.
   */
  expectedOrigins?: OriginSpec | readonly OriginSpec[];
  /** Count credentialed grants to `*.invalid` probe origins as reflection. Default true. */
  reflectionProbe?: boolean;
  metrics?: MetricsOptions | false;
  logger?: winston.Logger | false;
  logging?: LoggingOptions;
  /** A candidate policy to evaluate against what the existing layer actually answers. */
  reportOnly?: ReportOnlyPolicyOptions;
  /**
   * Record the evidence ledger of what the observed layer granted (see EvidenceOptions). Without
   * `routes`, the ledger's route is the path's first segment (`/api/*`).
   */
  evidence?: EvidenceOptions;
  /** The key shared with `cors-sentinel probe --key-file`: as in enforce mode (docs/prober.md#signed-probes). */
  probeKey?: string | Uint8Array;
}

const OBSERVER_KEYS = new Set<string>([
  'routes', 'defaultRouteName', 'expectedOrigins', 'reflectionProbe', 'metrics', 'logger', 'logging', 'reportOnly', 'evidence', 'probeKey',
]);

/** One request under observation: `complete()` it with the response as its headers are written. */
export interface Observation {
  complete(response: AuditResponse): AuditResult | undefined;
}

export interface Observer {
  readonly registry: Registry | undefined;
  readonly metrics: CorsMetrics | undefined;
  readonly logger: winston.Logger | undefined;
  readonly candidate: CompiledPolicy | undefined;
  /** Starts observing a request; `rawOrigin` is logged (escaped) for invalid origins. */
  begin(request: CorsRequest, rawOrigin?: string): Observation;
  metricsHandler(options?: MetricsHandlerOptions): MetricsHandler;
  serveMetrics(options: MetricsServerOptions): Promise<Server>;
  settleReportOnly(): Promise<void>;
  close(): void;
}

interface ObserverSettings {
  readonly routes: CompiledPolicy;
  readonly expected: CompiledOrigins | undefined;
}

/** Validates the options (one CorsConfigError listing every problem, candidate included). */
function compileObserverSettings(options: CorsObserverOptions): ObserverSettings {
  const problems = new ProblemCollector();
  if (typeof options !== 'object' || options === null) {
    problems.add('options', 'invalid_type', `expected an options object, got ${describe(options)}`);
    problems.throwIfAny();
  }
  checkKeys(options, OBSERVER_KEYS, '', problems);
  checkNestedOptions(options, problems);
  if (options.reflectionProbe !== undefined && typeof options.reflectionProbe !== 'boolean') {
    problems.add('reflectionProbe', 'invalid_type', `expected true or false, got ${describe(options.reflectionProbe)}`);
  }
  let expected: CompiledOrigins | undefined;
  if (options.expectedOrigins !== undefined) {
    const specs = Array.isArray(options.expectedOrigins) ? options.expectedOrigins : [options.expectedOrigins];
    // Listing `null` here says "I expect it", which is worth knowing, not a danger.
    expected = compileOrigins(specs, 'expectedOrigins', { dangerouslyAllowNullOrigin: true }, problems);
  }
  // Route patterns get enforce mode's parser, ordering and errors: a policy that only names routes.
  let routes: CompiledPolicy | undefined;
  try {
    routes = compilePolicy({
      origin: false,
      defaultRouteName: options.defaultRouteName,
      // Validated where enforce mode validates it (at least 32 bytes); kept on the compiled routes.
      ...(options.probeKey !== undefined ? { probeKey: options.probeKey } : {}),
      routes: Array.isArray(options.routes)
        ? (options.routes as readonly ObservedRoute[]).map((r) => (typeof r === 'object' && r !== null ? { path: r.path, ...(r.name !== undefined ? { name: r.name } : {}) } : r))
        : options.routes,
    });
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    for (const p of err.problems) problems.add(p.path, p.code, p.message);
  }
  problems.throwIfAny();
  return { routes: routes as CompiledPolicy, expected };
}

/**
 * `cors_config_info` for an observer: the exporter-present series that alerts (`absent(...)`) and the
 * dashboards' job/instance variables key on. The policy is whatever the observed layer does, so
 * `origin_policy="observed"` and `credentials="unknown"`; the hash changes with the observer's settings.
 */
function publishObservedPosture(inst: Instrumentation, routes: CompiledPolicy, options: CorsObserverOptions, candidate: CompiledPolicy | undefined): void {
  if (!inst.metrics) return;
  const expected = options.expectedOrigins === undefined ? [] : [options.expectedOrigins].flat().map(String);
  const hash = createHash('sha256')
    .update(JSON.stringify(['observer', routes.hash, expected, options.reflectionProbe ?? true, candidate?.hash ?? null]))
    .digest('hex')
    .slice(0, 12);
  for (const route of [routes.defaultRoute, ...routes.routes]) {
    inst.metrics.configInfo.set({ route: route.name, policy_hash: hash, origin_policy: 'observed', credentials: 'unknown' }, 1);
  }
}

export function createObserver(options: CorsObserverOptions = {}): Observer {
  const { live: settings, candidate } = compileWithCandidate(() => compileObserverSettings(options), options.reportOnly);
  const bySegment = settings.routes.routes.length === 0;
  const inst = createInstrumentation(options, settings.expected?.exact ?? new Set(), new Set(), evidenceRouteKeys(settings.routes, bySegment));
  const shadow = createShadowEvaluator(candidate, inst);
  const record = probeAwareRecord(settings.routes.probeKey, inst);
  const stopWatchingCandidate = candidate ? watchOriginStores(candidate) : () => undefined;
  const auditOptions = { expectedOrigins: settings.expected, reflectionProbe: options.reflectionProbe };
  publishObservedPosture(inst, settings.routes, options, candidate);

  function begin(request: CorsRequest, rawOrigin?: string): Observation {
    const started = performance.now();
    const check = shadow?.begin(request);
    return {
      complete(response) {
        const seconds = (performance.now() - started) / 1000;
        let result: AuditResult;
        try {
          result = auditResponse(request, response, auditOptions);
        } catch {
          return undefined; // observing must never break a response
        }
        const route = selectRoute(settings.routes, request.path).name;
        const decision: Decision = observedDecision(route, result, response.status);
        // Observe mode's decision carries no headers: the grant's credentials are read off the response.
        const credentialed = inst.evidence !== undefined && decision.outcome === 'allowed' && grantsCredentials(response);
        record(decision, seconds, rawOrigin, request, credentialed);
        for (const finding of result.findings) {
          inst.finding(finding, { route, requestType: result.requestType, origin: rawOrigin ?? '', status: String(response.status) });
        }
        check?.complete(decision);
        return result;
      },
    };
  }

  return {
    registry: inst.metrics?.registry,
    metrics: inst.metrics,
    logger: inst.logger,
    candidate,
    begin,
    metricsHandler: (handlerOptions) => inst.metricsHandler(handlerOptions),
    serveMetrics: (serverOptions) => inst.serveMetrics(serverOptions),
    settleReportOnly: async () => shadow?.settled(),
    close() {
      stopWatchingCandidate();
      inst.close();
    },
  };
}

function grantsCredentials(response: AuditResponse): boolean {
  const value = response.header('access-control-allow-credentials');
  return (Array.isArray(value) ? value.length === 1 && value[0] : value) === 'true';
}
