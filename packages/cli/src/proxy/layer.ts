/**
 * The CORS layer of the proxy, one per mode, over the same sentinel and observer as the middleware:
 * enforce mode answers preflights and writes the policy's headers before the request goes upstream,
 * observe mode audits what the backend answers, with the policy as report-only candidate. Both read
 * the request's path with the backend profile (./backend-profile). The proxy only adds what a
 * middleware cannot see: the backend's own CORS headers, and WebSocket upgrades.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { NextFunction } from 'cors-sentinel/internal/adapters/express';
import { nodeCorsRequest } from 'cors-sentinel/internal/adapters/node-request';
import { nodeResponseWriter } from 'cors-sentinel/internal/adapters/node-response';
import type { CorsRequest, Decision } from 'cors-sentinel/internal/engine/decision';
import { decide } from 'cors-sentinel/internal/engine/decide';
import { refuseUnroutable, type PathReader } from 'cors-sentinel/internal/http/routing-path';
import { observeResponse } from 'cors-sentinel/internal/adapters/express-observer';
import { createObserver, type CorsObserverOptions } from 'cors-sentinel/internal/observer/observer';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';
import { createSentinel } from 'cors-sentinel/internal/sentinel';
import { observerOptions } from './observer-options';
import { CORS_RESPONSE_HEADERS } from './headers';
import type { UpgradeOutcome } from './metrics';
import { hasAmbientCredential } from './websocket';

export type ProxyMode = 'enforce' | 'observe';

export interface CorsLayer {
  readonly registry: Registry;
  readonly prefix: string;
  /** Runs before the request goes upstream; `next` forwards it (not called when the layer answered). */
  handle(req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  keepResponseHeader: (name: string) => boolean;
  /** Told which backend headers were left out of a response. */
  responseStarted(req: IncomingMessage, dropped: readonly string[]): void;
  /** Judges a WebSocket upgrade's Origin; `refuse` only in enforce mode, with `status` (default 403). */
  judgeUpgrade(req: IncomingMessage): Promise<{ outcome: UpgradeOutcome; refuse: boolean; status?: number }>;
  close(): void;
}

/**
 * `read`: the backend profile's routing-path reader (./backend-profile): the route, tenant and
 * cross-origin-protection bypass are chosen on the path the backend will route.
 */
export function createCorsLayer(mode: ProxyMode, policy: CorsSentinelOptions, registry: Registry, read: PathReader): CorsLayer {
  const metrics = { ...(policy.metrics || {}), registry };
  const request = (req: IncomingMessage): CorsRequest | undefined => nodeCorsRequest(req, read, req.url ?? '/');
  return mode === 'enforce' ? enforceLayer({ ...policy, metrics }, request) : observeLayer(policy, metrics, request);
}

const writer = nodeResponseWriter((_res, next: NextFunction) => next());

function enforceLayer(options: CorsSentinelOptions, request: (req: IncomingMessage) => CorsRequest | undefined): CorsLayer {
  const sentinel = createSentinel(options);
  return {
    registry: sentinel.registry as Registry,
    prefix: sentinel.metrics?.prefix ?? 'cors_',
    handle(req, res, next) {
      const r = request(req);
      // A target whose backend reading is not pinned down (or not routable at all): 400, never forwarded.
      if (r === undefined) return refuseUnroutable(res);
      void sentinel.serve(r, res, next, writer);
    },
    keepResponseHeader: (name) => !CORS_RESPONSE_HEADERS.has(name),
    responseStarted(req, dropped) {
      if (!dropped.some((name) => CORS_RESPONSE_HEADERS.has(name))) return;
      // The policy's answer stands; the backend's is counted so that the stacked layer can be removed.
      sentinel.reportFinding('backend_cors_headers_replaced', { origin: req.headers.origin ?? '', path: request(req)?.path ?? '' });
    },
    async judgeUpgrade(req) {
      const r = request(req);
      if (r === undefined) return { outcome: 'non_cors', refuse: true, status: 400 };
      // The port's handle(): recorded and logged like every other decision (method, path, report-only).
      const handling = sentinel.handle(upgradeRequest(r, req));
      const decision = await handling.decision;
      handling.complete(decision, 'applied');
      const outcome = outcomeOf(decision);
      return { outcome, refuse: outcome === 'rejected' };
    },
    close: () => sentinel.close(),
  };
}

function observeLayer(policy: CorsSentinelOptions, metrics: CorsObserverOptions['metrics'], request: (req: IncomingMessage) => CorsRequest | undefined): CorsLayer {
  const observer = createObserver(observerOptions(policy, metrics));
  const candidate = observer.candidate;
  return {
    registry: observer.registry as Registry,
    prefix: observer.metrics?.prefix ?? 'cors_',
    handle(req, res, next) {
      const r = request(req);
      // Observe mode changes no answer: a target the profile cannot read goes on unobserved.
      if (r !== undefined) observeResponse(observer, () => r, res);
      next();
    },
    keepResponseHeader: () => true,
    responseStarted: () => undefined,
    async judgeUpgrade(req) {
      // What enforce mode would do with this upgrade; observe mode never refuses one.
      const r = request(req);
      if (candidate === undefined || r === undefined) return { outcome: req.headers.origin === undefined || r === undefined ? 'non_cors' : 'allowed', refuse: false };
      return { outcome: outcomeOf(await decide(candidate, upgradeRequest(r, req))), refuse: false };
    },
    close: () => observer.close(),
  };
}

/** An upgrade as the engine judges it: HTTP auth counts as a cookie (see hasAmbientCredential). */
function upgradeRequest(r: CorsRequest, req: IncomingMessage): CorsRequest {
  return { ...r, hasCookie: hasAmbientCredential(req) };
}

function outcomeOf(decision: Decision): UpgradeOutcome {
  return decision.outcome ?? 'non_cors';
}
