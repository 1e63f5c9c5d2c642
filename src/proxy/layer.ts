/**
 * The CORS layer of the proxy, one per mode, over the public middleware: enforce mode is
 * `corsSentinel()` (it answers preflights and writes the policy's headers before the request goes
 * upstream), observe mode is `corsObserver()` (it audits what the backend answers, with the policy as
 * report-only candidate). The proxy only adds what a middleware cannot see: the backend's own CORS
 * headers, and WebSocket upgrades.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { corsSentinel, pathOf, toCorsRequest, type NextFunction } from '../adapters/express';
import type { Decision } from '../engine/decision';
import { decide } from '../engine/decide';
import { corsObserver } from '../observer/middleware';
import type { CorsObserverOptions } from '../observer/observer';
import type { CorsSentinelOptions } from '../policy/options';
import { observerOptions } from './observer-options';
import { CORS_RESPONSE_HEADERS } from './headers';
import type { UpgradeOutcome } from './metrics';

export type ProxyMode = 'enforce' | 'observe';

export interface CorsLayer {
  readonly registry: Registry;
  readonly prefix: string;
  /** Runs before the request goes upstream; `next` forwards it (not called when the layer answered). */
  handle(req: IncomingMessage, res: ServerResponse, next: NextFunction): void;
  keepResponseHeader(name: string): boolean;
  /** Told which backend headers were left out of a response. */
  responseStarted(req: IncomingMessage, dropped: readonly string[]): void;
  /** Judges a WebSocket upgrade's Origin; `refuse` only in enforce mode. */
  judgeUpgrade(req: IncomingMessage): Promise<{ outcome: UpgradeOutcome; refuse: boolean }>;
  close(): void;
}

export function createCorsLayer(mode: ProxyMode, policy: CorsSentinelOptions, registry: Registry): CorsLayer {
  const metrics = { ...(policy.metrics || {}), registry };
  return mode === 'enforce' ? enforceLayer({ ...policy, metrics }) : observeLayer(policy, metrics);
}

function enforceLayer(options: CorsSentinelOptions): CorsLayer {
  const sentinel = corsSentinel(options);
  return {
    registry: sentinel.registry as Registry,
    prefix: sentinel.metrics?.prefix ?? 'cors_',
    handle: sentinel,
    keepResponseHeader: (name) => !CORS_RESPONSE_HEADERS.has(name),
    responseStarted(req, dropped) {
      if (!dropped.some((name) => CORS_RESPONSE_HEADERS.has(name))) return;
      // The policy's answer stands; the backend's is counted so that the stacked layer can be removed.
      sentinel.reportFinding('backend_cors_headers_replaced', { origin: req.headers.origin ?? '', path: pathOf(req) ?? '' });
    },
    async judgeUpgrade(req) {
      // The port's handle(): recorded and logged like every other decision (method, path, report-only).
      const request = toCorsRequest(req);
      if (request === undefined) return { outcome: 'rejected', refuse: true }; // no routable path
      const handling = sentinel.handle(request);
      const decision = await handling.decision;
      handling.complete(decision, 'applied');
      const outcome = outcomeOf(decision);
      return { outcome, refuse: outcome === 'rejected' };
    },
    close: () => sentinel.close(),
  };
}

function observeLayer(policy: CorsSentinelOptions, metrics: CorsObserverOptions['metrics']): CorsLayer {
  const observer = corsObserver(observerOptions(policy, metrics));
  const candidate = observer.candidate;
  return {
    registry: observer.registry as Registry,
    prefix: observer.metrics?.prefix ?? 'cors_',
    handle: observer,
    keepResponseHeader: () => true,
    responseStarted: () => undefined,
    async judgeUpgrade(req) {
      // What enforce mode would do with this upgrade; observe mode never refuses one.
      if (candidate === undefined) return { outcome: req.headers.origin === undefined ? 'non_cors' : 'allowed', refuse: false };
      const request = toCorsRequest(req);
      if (request === undefined) return { outcome: 'rejected', refuse: false };
      return { outcome: outcomeOf(await decide(candidate, request)), refuse: false };
    },
    close: () => observer.close(),
  };
}

function outcomeOf(decision: Decision): UpgradeOutcome {
  return decision.outcome ?? 'non_cors';
}
