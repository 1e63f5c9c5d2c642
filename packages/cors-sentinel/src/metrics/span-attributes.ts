/**
 * CORS decisions on the active OpenTelemetry span: `cors.outcome`, `cors.reason`, `cors.route`,
 * `cors.request_type`, and `cors.origin` only for an origin that is allowed or has a fixed label
 * (configured, `null`, `__invalid__`) — never an attacker's raw text. A rejection is a decision, not
 * an error: the span's status is left alone.
 *
 * `@opentelemetry/api` is an optional peer: it is looked up once, when a sentinel is created. Without
 * it nothing runs per request. With it, a span can only be active once a context manager is
 * registered (the SDK does it); until then a request costs one property read of the API's global
 * registry — the symbol every 1.x copy of the API shares by design — not a context lookup.
 */
import type { Decision } from '../engine/decision';

interface SpanLike {
  isRecording(): boolean;
  setAttributes(attributes: Record<string, string>): unknown;
}

interface TraceApiLike {
  trace: { getActiveSpan(): SpanLike | undefined };
}

let traceApi: TraceApiLike | null | undefined;

const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');
const globals = globalThis as unknown as Record<symbol, { context?: unknown } | undefined>;

function loadTraceApi(): TraceApiLike | null {
  if (traceApi !== undefined) return traceApi;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const api = require('@opentelemetry/api') as TraceApiLike;
    traceApi = typeof api?.trace?.getActiveSpan === 'function' ? api : null;
  } catch {
    traceApi = null;
  }
  return traceApi;
}

export type SpanAnnotator = (decision: Decision) => void;

/** The per-decision span annotator, or undefined when `@opentelemetry/api` is not installed. */
export function createSpanAnnotator(hasOwnLabel: (origin: string) => boolean, api: TraceApiLike | null = loadTraceApi()): SpanAnnotator | undefined {
  if (api === null) return undefined;
  const trace = api.trace;
  return (decision) => {
    // No context manager registered: the active context is always the root one, which holds no span.
    if (globals[API_GLOBALS]?.context === undefined) return;
    const span = trace.getActiveSpan();
    if (span === undefined || decision.outcome === undefined || !span.isRecording()) return;
    const attributes: Record<string, string> = {
      'cors.outcome': decision.outcome,
      'cors.route': decision.route,
      'cors.request_type': decision.requestType,
    };
    if (decision.reason !== undefined) attributes['cors.reason'] = decision.reason;
    const origin = decision.origin;
    if (origin !== undefined && (decision.outcome === 'allowed' || hasOwnLabel(origin))) attributes['cors.origin'] = origin;
    span.setAttributes(attributes);
  };
}
