/**
 * `cors-sentinel/metrics`: the metric contract's building blocks without a middleware: the metrics on a
 * registry of your own, the origin label guard, the distinct-origin sketch, the `/metrics` handler and
 * listener, and cluster aggregation's primary side (docs/metrics.md). Applications reach the same through
 * `corsSentinel()`'s `metricsHandler()`/`serveMetrics()` and `clusterMetrics()` in the root export.
 */
export { createCorsMetrics, DEFAULT_PREFIX, type CorsMetrics, type CreateMetricsOptions } from './metrics/metrics';
export { OriginLabeler, DEFAULT_ORIGIN_LABEL_LIMIT } from './metrics/origin-labeler';
export { createMetricsHandler, serveMetrics } from './metrics/handler';
export { SlidingHyperLogLog } from './metrics/distinct-origins';
export { joinClusterMetrics } from './metrics/cluster';
