/**
 * What the enforcing sentinel, the observer and cross-origin protection report through: the logger, the
 * flood-safe violation log and the metric contract, set up once from the caller's options, and the
 * report-only evaluator that reports through them.
 */
import type { Server } from 'node:http';
import type winston from 'winston';
import type { ResponseFinding, ShadowChange } from './contract';
import type { CompiledPolicy } from './engine/compiled';
import type { Decision } from './engine/decision';
import type { EvidenceOptions, LoggingOptions, MetricsOptions } from './policy/options';
import { createDefaultLogger, ViolationLogger, type RequestSummary } from './logging/violation-logger';
import { createMetricsHandler, serveMetrics, type MetricsHandler, type MetricsHandlerOptions, type MetricsServerOptions } from './metrics/handler';
import { createCorsMetrics, type CorsMetrics } from './metrics/metrics';
import { createOtelCorsMetrics, isMeterProvider } from './metrics/otel';
import { DEFAULT_ORIGIN_LABEL_LIMIT, OriginLabeler } from './metrics/origin-labeler';
import { MetricsRecorder } from './metrics/recorder';
import { DEFAULT_LABEL_HOLD_MS } from './metrics/label-guard';
import { joinClusterMetrics } from './metrics/cluster';
import { ShadowEvaluator } from './report-only';
import { createSpanAnnotator } from './metrics/span-attributes';
import { INVALID_ORIGIN_LABEL } from './engine/decision';
import type { EvidenceRecorder } from './evidence/recorder';
import type { EvidenceRequest } from './evidence/ledger';
import type { RouteKeyOf } from './evidence/routes';
import { createProbeTraffic, type ProbeEvidence } from './metrics/probe-traffic';

/** What an entry hands a decision to: the request's view for violation lines, the evidence ledger and the probe verifier. */
export type RecordedRequest = RequestSummary & EvidenceRequest & ProbeEvidence;
export type RecordDecision = (decision: Decision, seconds: number, rawOrigin?: string, request?: RecordedRequest, credentialed?: boolean) => void;

/** What both the enforcing sentinel and the observer report through. */
export interface Instrumentation {
  readonly logger: winston.Logger | undefined;
  readonly violations: ViolationLogger;
  /** Undefined with `metrics: false`: every method below then reports to the log alone. */
  readonly metrics: CorsMetrics | undefined;
  readonly recorder: MetricsRecorder | undefined;
  /** The evidence ledger's recorder (undefined unless the `evidence` option is set). */
  readonly evidence: EvidenceRecorder | undefined;
  /**
   * Counts a decision; logs it when it rejected the request. `credentialed`: whether the grant carried
   * Access-Control-Allow-Credentials, for a decision without headers (observe mode); the evidence
   * ledger reads it from the decision otherwise.
   */
  record: RecordDecision;
  /** Counts and logs a response finding (stacked CORS layers, a missing Vary, …). */
  finding(finding: ResponseFinding, details: Readonly<Record<string, string>>): void;
  /** Counts and logs what the report-only candidate would have changed. */
  shadow(route: string, change: ShadowChange, details: Readonly<Record<string, string>>): void;
  /** The `/metrics` handler over this registry; throws with `metrics: false`. */
  metricsHandler(options?: MetricsHandlerOptions): MetricsHandler;
  /** Serves `/metrics` on a listener of its own; rejects with `metrics: false`. */
  serveMetrics(options: MetricsServerOptions): Promise<Server>;
  /** Flushes log summaries, writes the evidence file and stops timers. */
  close(): void;
}

const METRICS_DISABLED = 'cors-sentinel: metrics are disabled (metrics: false)';
const METRICS_THROUGH_OTEL = 'cors-sentinel: metrics go to metrics.meterProvider; serve them with an OTel reader (e.g. @opentelemetry/exporter-prometheus), not metricsHandler()';

export interface InstrumentationOptions {
  readonly metrics?: MetricsOptions | false;
  readonly logger?: winston.Logger | false;
  readonly logging?: LoggingOptions;
  readonly evidence?: EvidenceOptions;
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
  evidenceRoutes?: RouteKeyOf,
): Instrumentation {
  const logger = options.logger === false ? undefined : (options.logger ?? createDefaultLogger());
  const violations = new ViolationLogger(logger, options.logging);
  const evidence = options.evidence === undefined || evidenceRoutes === undefined
    ? undefined
    : evidenceRecorder().createEvidenceRecorder(options.evidence, evidenceRoutes, configured, (message, meta) => logger?.warn(message, meta));
  let metrics: CorsMetrics | undefined;
  let recorder: MetricsRecorder | undefined;
  if (options.metrics !== false) {
    const m = options.metrics ?? {};
    const limit = m.originLabelLimit ?? DEFAULT_ORIGIN_LABEL_LIMIT;
    if (!Number.isInteger(limit) || limit < 0) throw new TypeError('cors-sentinel: metrics.originLabelLimit must be a whole number ≥ 0');
    const holdMs = m.originLabelHoldMs ?? DEFAULT_LABEL_HOLD_MS;
    if (!Number.isInteger(holdMs) || holdMs < 100) throw new TypeError('cors-sentinel: metrics.originLabelHoldMs must be a whole number of milliseconds ≥ 100 (default 60000)');
    // Chosen once here: without a meterProvider the prom-client path is untouched.
    metrics = m.meterProvider === undefined
      ? createCorsMetrics({ registry: m.registry, prefix: m.prefix, preflightBuckets: m.preflightBuckets })
      : createOtelMetrics(m);
    const authority = m.cluster ? joinClusterMetrics(metrics.registry) : undefined;
    recorder = new MetricsRecorder(metrics, new OriginLabeler(limit, configured, authority, holdMs));
  }
  const labeler = recorder?.labeler;
  const annotateSpan = createSpanAnnotator((origin) => configured.has(origin) || origin === 'null' || origin === INVALID_ORIGIN_LABEL);
  const otel = options.metrics !== false && options.metrics?.meterProvider !== undefined;
  violations.setPriority((d) => {
    const origin = d.origin;
    if (origin !== undefined && (configured.has(origin) || labeler?.wasAllowed(origin) === true)) return 'previously_allowed';
    return credentialedRoutes.has(d.route) ? 'credentialed_route' : undefined;
  });
  return {
    logger,
    violations,
    metrics,
    recorder,
    evidence,
    record(decision, seconds, rawOrigin, request, credentialed) {
      recorder?.record(decision, seconds, rawOrigin);
      evidence?.record(decision, request, credentialed);
      annotateSpan?.(decision);
      if (decision.outcome === 'rejected') violations.violation(decision, rawOrigin, request);
    },
    finding(finding, details) {
      recorder?.finding(finding);
      violations.finding(finding, details);
    },
    shadow(route, change, details) {
      recorder?.shadow(route, change);
      violations.shadow(change, details);
    },
    metricsHandler(handlerOptions) {
      if (!metrics) throw new Error(METRICS_DISABLED);
      if (otel) throw new Error(METRICS_THROUGH_OTEL);
      return createMetricsHandler(metrics.registry, handlerOptions);
    },
    serveMetrics(serverOptions) {
      if (!metrics) return Promise.reject(new Error(METRICS_DISABLED));
      if (otel) return Promise.reject(new Error(METRICS_THROUGH_OTEL));
      return serveMetrics(metrics.registry, serverOptions);
    },
    close() {
      recorder?.close();
      violations.close();
      evidence?.close();
    },
  };
}

/**
 * The evidence ledger (ten modules, ~250 KB of heap), loaded when a sentinel or observer is given the
 * `evidence` option: the live heap that each full GC marks stays smaller without it (issue #32).
 */
function evidenceRecorder(): typeof import('./evidence/recorder') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./evidence/recorder') as typeof import('./evidence/recorder');
}

function createOtelMetrics(m: MetricsOptions): CorsMetrics {
  const provider = m.meterProvider;
  if (!isMeterProvider(provider)) throw new TypeError('cors-sentinel: metrics.meterProvider must be an OpenTelemetry MeterProvider (with getMeter())');
  if (m.registry !== undefined || m.cluster === true) throw new TypeError('cors-sentinel: metrics.meterProvider excludes metrics.registry and metrics.cluster');
  return createOtelCorsMetrics(provider, { prefix: m.prefix, preflightBuckets: m.preflightBuckets });
}

/**
 * How decisions are counted: straight into `inst`, or — with a `probeKey` — past the prober's
 * verifier first (src/metrics/probe-traffic.ts), which takes verified probes out of the traffic
 * series. Chosen once: without a key no request pays for the header lookup.
 */
export function probeAwareRecord(key: Buffer | undefined, inst: Instrumentation): RecordDecision {
  if (key === undefined) return (decision, seconds, rawOrigin, request, credentialed) => inst.record(decision, seconds, rawOrigin, request, credentialed);
  const probes = createProbeTraffic(key, { metrics: inst.metrics, log: (reason, details) => inst.violations.probeSignature(reason, details) });
  // A verified probe is not traffic: it reaches neither the traffic series nor the evidence ledger.
  return (decision, seconds, rawOrigin, request, credentialed) => {
    if (!probes.take(decision, request)) inst.record(decision, seconds, rawOrigin, request, credentialed);
  };
}

/** The report-only evaluator for a candidate, reporting through `inst` (undefined without a candidate). */
export function createShadowEvaluator(candidate: CompiledPolicy | undefined, inst: Instrumentation): ShadowEvaluator | undefined {
  if (candidate === undefined) return undefined;
  return new ShadowEvaluator(candidate, (route, change, details) => inst.shadow(route, change, details));
}
