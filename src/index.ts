export { corsSentinel, type CorsSentinelMiddleware, type NextFunction } from './adapters/express';
export { corsSentinelHandler, type CorsSentinelHandler, type RequestListener } from './adapters/node';
export { createSentinel, type Sentinel } from './sentinel';
export { compilePolicy } from './engine/compile-policy';
export { DEFAULT_METHODS, DEFAULT_ALLOWED_HEADERS } from './policy/validate';
export { loadPolicyFile } from './policy/file';
export { createPort, type Port, type Handling, type Delivery, type ResponseWriter } from './port';
export { corsRequestOf } from './adapters/node-request';
export {
  routingPath, nodeRoutingPath, fastifyPathReader, backendPathReader, decodedPathReading, refuseUnroutable,
  type PathReader, type FastifyRouterFlags, type BackendProfile,
} from './http/routing-path';
export type { CompiledPolicy, CompiledRoutePolicy, OriginPolicyKind } from './engine/compiled';
export { CorsConfigError, type ConfigProblem, type ConfigProblemCode, type ConfigWarning } from './policy/errors';
export type {
  CorsSentinelOptions, PolicyOptions, RoutePolicyOptions, MetricsOptions, LoggingOptions, OriginSpec, OriginResolver,
  CorsOriginCallback, ReportOnlyPolicyOptions,
} from './policy/options';
export { decide, selectRoute } from './engine/decide';
export { explain, explainSync, type Explanation } from './engine/explain';
export {
  REASONS, INVALID_ORIGIN_LABEL, type Reason, type Decision, type CorsRequest, type RequestType, type Outcome,
  type OriginSource, type HeaderPair, type RequestHandle,
} from './engine/decision';
export { parseRequestOrigin, type ParsedOrigin } from './origin/parse';
export { createCorsMetrics, DEFAULT_PREFIX, type CorsMetrics, type CreateMetricsOptions } from './metrics/metrics';
export { OriginLabeler, OTHER_ORIGIN_LABEL, DEFAULT_ORIGIN_LABEL_LIMIT } from './metrics/origin-labeler';
export {
  createMetricsHandler, serveMetrics, type MetricsAuth, type MetricsHandler, type MetricsHandlerOptions, type MetricsServerOptions,
} from './metrics/handler';
export { sanitizeForLog } from './logging/violation-logger';
export { corsObserver, type CorsObserverMiddleware } from './observer/middleware';
export { createObserver, type CorsObserverOptions, type ObservedRoute, type Observer, type Observation } from './observer/observer';
export {
  auditResponse, FINDINGS, type Finding, type AuditRequest, type AuditResponse, type AuditResult, type AuditOptions,
} from './observer/audit';
export {
  METRIC_NAMES, ENFORCE_FINDINGS, SHADOW_CHANGES, type MetricKey, type EnforceFinding, type ShadowChange,
} from './contract';
export type { OriginStore, TenantSource } from './stores/types';
export { MemoryOriginStore } from './stores/memory';
export { PostgresOriginStore, postgresSchema, type PostgresOriginStoreOptions, type PgPool } from './stores/postgres';
export { RedisOriginStore, type RedisOriginStoreOptions, type RedisClient } from './stores/redis';
export { SlidingHyperLogLog } from './metrics/distinct-origins';
export { clusterMetrics, joinClusterMetrics, type ClusterMetrics, type ClusterMetricsOptions } from './cluster';
export { crossOriginProtection, type CrossOriginProtectionMiddleware, type StandaloneProtectionOptions } from './fetch-metadata/middleware';
export type { CrossOriginProtectionOptions, ProtectionMode } from './fetch-metadata/options';
export type { ProtectionVerdict, ProtectionRequest } from './fetch-metadata/protect';
export { SITES, PROTECTION_DECISIONS, classifyRequest, type Site, type ProtectionDecision, type Classification } from './fetch-metadata/classify';
