/** The proxy's own series, on the same registry and prefix as the CORS metric contract. */
import { Counter, type Registry } from 'prom-client';

/** Why an upstream exchange failed (`cors_proxy_upstream_errors_total{kind}`): a fixed set. */
export const UPSTREAM_ERROR_KINDS = [
  'connect_refused', 'connect_timeout', 'response_timeout', 'body_timeout', 'reset', 'other',
] as const;
export type UpstreamErrorKind = (typeof UPSTREAM_ERROR_KINDS)[number];

/** Why the proxy answered a request itself (`cors_proxy_refused_requests_total{reason}`): a fixed set. */
export const REFUSAL_REASONS = ['client_body_too_slow', 'client_limit', 'upstream_queue_full', 'upstream_queue_timeout'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** How a WebSocket upgrade's Origin was judged, and what the proxy did with it. */
export type UpgradeOutcome = 'allowed' | 'rejected' | 'non_cors';
export type UpgradeAction = 'forwarded' | 'refused';

export interface ProxyMetrics {
  upstreamError: (kind: UpstreamErrorKind) => void;
  upgrade(outcome: UpgradeOutcome, action: UpgradeAction): void;
  refused: (reason: RefusalReason) => void;
}

function once<T extends string>(registry: Registry, name: string, help: string, labelNames: readonly T[]): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function createProxyMetrics(registry: Registry, prefix: string): ProxyMetrics {
  const errors = once(registry, `${prefix}proxy_upstream_errors_total`, 'Upstream exchanges of the sidecar proxy that failed, by kind.', ['kind']);
  const upgrades = once(
    registry,
    `${prefix}proxy_websocket_upgrades_total`,
    'WebSocket upgrade requests seen by the sidecar proxy, by how their Origin was judged and whether they were forwarded.',
    ['outcome', 'action'],
  );
  const refusals = once(
    registry,
    `${prefix}proxy_refused_requests_total`,
    'Requests the sidecar proxy answered itself instead of forwarding (408 slow body, 429 per-client cap, 503 no upstream connection in time), by reason.',
    ['reason'],
  );
  // Every kind and reason exists from the start, so that rate() sees the first one.
  for (const kind of UPSTREAM_ERROR_KINDS) errors.labels(kind).inc(0);
  for (const reason of REFUSAL_REASONS) refusals.labels(reason).inc(0);
  return {
    upstreamError: (kind) => errors.labels(kind).inc(),
    upgrade: (outcome, action) => upgrades.labels(outcome, action).inc(),
    refused: (reason) => refusals.labels(reason).inc(),
  };
}

/** Maps an undici / socket error to its kind. */
export function classifyUpstreamError(err: unknown): UpstreamErrorKind {
  const code = (err as { code?: string } | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return 'connect_refused';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connect_timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'response_timeout';
    case 'UND_ERR_BODY_TIMEOUT':
      return 'body_timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'reset';
    default:
      return 'other';
  }
}

/** 504 when the upstream was too slow, 502 when it failed. */
export function statusFor(kind: UpstreamErrorKind): 502 | 504 {
  return kind === 'connect_timeout' || kind === 'response_timeout' ? 504 : 502;
}
