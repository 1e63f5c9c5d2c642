/**
 * `cors-sentinel/adapter-kit`: the building blocks under the adapters, for whoever writes an adapter for
 * another framework or an observer of their own (docs/adapters.md). Applications need only the root
 * export (`cors-sentinel`) and the adapters' subpaths.
 */
export { createPort, type Port, type Handling, type Delivery, type ResponseWriter } from './port';
export { corsRequestOf } from './adapters/node-request';
export {
  routingPath, nodeRoutingPath, fastifyPathReader, backendPathReader, decodedPathReading, refuseUnroutable,
  type PathReader, type FastifyRouterFlags, type BackendProfile,
} from './http/routing-path';
export { compilePolicy } from './engine/compile-policy';
export { decide, selectRoute } from './engine/decide';
export type { HeaderPair, RequestHandle } from './engine/decision';
export { DEFAULT_METHODS, DEFAULT_ALLOWED_HEADERS } from './policy/validate';
export { parseRequestOrigin, type ParsedOrigin } from './origin/parse';
export { sanitizeForLog } from './logging/violation-logger';
export { createObserver, type Observation } from './observer/observer';
export { auditResponse, type AuditRequest, type AuditResponse, type AuditResult, type AuditOptions } from './observer/audit';
export type { ProtectionVerdict, ProtectionRequest } from './fetch-metadata/protect';
export { classifyRequest, type Classification } from './fetch-metadata/classify';
