/**
 * `cors-sentinel`: the middleware for applications. Building blocks for adapter and tool authors are in
 * `cors-sentinel/adapter-kit` and `cors-sentinel/metrics` (docs/packaging.md).
 */
export { corsSentinel, type CorsSentinelMiddleware, type NextFunction } from './adapters/express';
export { corsSentinelHandler, type CorsSentinelHandler, type RequestListener } from './adapters/node';
export { corsObserver, type CorsObserverMiddleware } from './adapters/express-observer';
export { crossOriginProtection, type CrossOriginProtectionMiddleware, type StandaloneProtectionOptions } from './fetch-metadata/middleware';
export { createSentinel, type Sentinel } from './sentinel';
export { loadPolicyFile } from './policy/file';
export { explain, explainSync, type Explanation } from './engine/explain';
export { CorsConfigError, type ConfigProblem, type ConfigProblemCode, type ConfigWarning } from './policy/errors';
export type {
  CorsSentinelOptions, PolicyOptions, RoutePolicyOptions, MetricsOptions, LoggingOptions, OriginSpec, OriginResolver,
  CorsOriginCallback, ReportOnlyPolicyOptions, CrossOriginProtectionOptions, ProtectionMode, EvidenceOptions,
} from './policy/options';
export type { LocalServerOptions } from './policy/local-server';
export type { CompiledPolicy, CompiledRoutePolicy, OriginPolicyKind } from './engine/compiled';
export type { Decision, CorsRequest, RequestType, Outcome } from './engine/decision';
export type { MetricsAuth, MetricsHandler, MetricsHandlerOptions, MetricsServerOptions } from './metrics/handler';
export type { CorsObserverOptions, ObservedRoute, Observer } from './observer/observer';
// The metric contract: names and label values the runtime, explain(), the audit and the alert rules share.
export {
  METRIC_NAMES, REASONS, FINDINGS, ENFORCE_FINDINGS, SHADOW_CHANGES,
  type MetricKey, type Reason, type Finding, type EnforceFinding, type ShadowChange, type OriginSource,
} from './contract';
export { INVALID_ORIGIN_LABEL } from './engine/decision';
export { OTHER_ORIGIN_LABEL } from './metrics/origin-labeler';
export { SITES, PROTECTION_DECISIONS, type Site, type ProtectionDecision } from './fetch-metadata/classify';
export type { OriginStore, TenantSource } from './stores/types';
export { MemoryOriginStore } from './stores/memory';
export { PostgresOriginStore, postgresSchema, type PostgresOriginStoreOptions, type PgPool } from './stores/postgres';
export { RedisOriginStore, type RedisOriginStoreOptions, type RedisClient } from './stores/redis';
export { clusterMetrics, type ClusterMetrics, type ClusterMetricsOptions } from './metrics/cluster';
