/**
 * Cross-origin request protection on its own, for apps that handle CORS elsewhere (or need none):
 *
 *     app.use(crossOriginProtection({ mode: 'report-only', trustedOrigins: ['https://app.example.com'] }));
 *
 * Without a CORS policy there are no CORS origins to trust: only `trustedOrigins` are.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import type winston from 'winston';
import { nodeRoutingPath, refuseUnroutable } from '../http/routing-path';
import { createDefaultLogger, ViolationLogger } from '../logging/violation-logger';
import { DEFAULT_PREFIX } from '../metrics/metrics';
import { ProblemCollector } from '../policy/errors';
import { checkKeys, checkNestedOptions } from '../policy/nested-options';
import { describe } from '../origin/describe';
import type { LoggingOptions } from '../policy/options';
import type { ProtectionDecision } from './classify';
import { compileCrossOriginProtection, type CompiledProtection, type CrossOriginProtectionOptions } from '../policy/cross-origin-protection';
import {
  answerBlocked, countingObserver, crossOriginRequestsCounter, CrossOriginProtector, loggingObserver,
  type ProtectionObserver, type ProtectionRequest, type ProtectionVerdict,
} from './protect';

export interface StandaloneProtectionOptions extends CrossOriginProtectionOptions {
  /** Where `<prefix>cross_origin_requests_total` is registered, or `false` for no metrics. Default: a new Registry. */
  metrics?: { registry?: Registry; prefix?: string } | false;
  /** A winston logger for (would-be) blocked requests, or `false`. Default: a JSON logger on stderr. */
  logger?: winston.Logger | false;
  logging?: LoggingOptions;
  /** The `route` label. Default `default`. */
  routeName?: string;
}

export interface CrossOriginProtectionMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  readonly compiled: CompiledProtection;
  readonly registry: Registry | undefined;
  /** Judges a request without answering it (undefined: a safe method, not judged). */
  protect(req: ProtectionRequest): ProtectionVerdict | undefined;
  /** Flushes log summaries and stops timers. */
  close(): void;
}

const OWN_KEYS = new Set(['metrics', 'logger', 'logging', 'routeName']);
const STANDALONE_METRICS_KEYS = ['registry', 'prefix'];

/** Validates `options` (throwing a CorsConfigError with every problem) and returns the middleware. */
export function crossOriginProtection(options: StandaloneProtectionOptions = {}): CrossOriginProtectionMiddleware {
  const problems = new ProblemCollector();
  const compiled = compileCrossOriginProtection(options, '', problems, [], OWN_KEYS);
  if (typeof options === 'object' && options !== null) checkOwnOptions(options, problems);
  problems.throwIfAny();
  if (compiled === undefined) throw new TypeError('cors-sentinel: crossOriginProtection() needs an options object');
  const route = { name: options.routeName ?? 'default', origins: undefined };
  const logger = options.logger === false ? undefined : (options.logger ?? createDefaultLogger());
  const violations = new ViolationLogger(logger, options.logging);
  const observers: ProtectionObserver[] = [loggingObserver((d: ProtectionDecision, details) => violations.crossOrigin(d, details))];
  const registry = options.metrics === false ? undefined : (options.metrics?.registry ?? new Registry());
  if (registry) observers.unshift(countingObserver(crossOriginRequestsCounter(registry, options.metrics ? (options.metrics.prefix ?? DEFAULT_PREFIX) : DEFAULT_PREFIX)));
  const protector = new CrossOriginProtector(compiled, () => route, observers);

  function middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const request = toProtectionRequest(req);
    if (request === undefined) return refuseUnroutable(res);
    const verdict = protector.protect(request);
    if (verdict?.blocked === true) answerBlocked(res, verdict);
    else next();
  }
  return Object.assign(middleware, {
    compiled,
    registry,
    protect: (req: ProtectionRequest) => protector.protect(req),
    close: () => violations.close(),
  });
}

/** `metrics`, `logger`, `logging` and `routeName`: checked at creation, not on the first cross-site request. */
function checkOwnOptions(options: StandaloneProtectionOptions, problems: ProblemCollector): void {
  const { metrics, routeName } = options;
  if (metrics !== undefined && metrics !== false) {
    if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
      problems.add('metrics', 'invalid_type', `expected { registry?, prefix? } or false, got ${describe(metrics)}`);
    } else {
      checkKeys(metrics, STANDALONE_METRICS_KEYS, 'metrics.', problems);
    }
  }
  // The shared checks of logger, logging and metrics.registry / metrics.prefix (its other keys are not ours).
  const shared = new ProblemCollector();
  checkNestedOptions({ logger: options.logger, logging: options.logging, metrics: typeof metrics === 'object' && metrics !== null ? metrics : undefined }, shared);
  for (const p of shared.problems) if (!(p.path.startsWith('metrics') && p.code === 'unknown_option')) problems.add(p.path, p.code, p.message);
  if (routeName !== undefined && (typeof routeName !== 'string' || routeName === '')) {
    problems.add('routeName', 'invalid_type', `expected a route label such as "default", got ${describe(routeName)}`);
  }
}

/**
 * What the protection reads of a Node request: the path Express routes on (src/http/routing-path.ts),
 * so `POST http://host/webhooks/x` is judged (and bypassed) as `/webhooks/x`. Undefined for a target
 * Express cannot route.
 */
export function toProtectionRequest(req: IncomingMessage): ProtectionRequest | undefined {
  const h = req.headers;
  const path = nodeRoutingPath((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/');
  if (path === undefined) return undefined;
  return { method: req.method ?? 'GET', path, origin: h.origin, host: h.host, secFetchSite: single(h['sec-fetch-site']) };
}

/** Repeated headers arrive as an array (Node joins most with ", "): the joined text is no value a browser sends. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
