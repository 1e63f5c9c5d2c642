/**
 * The port every framework adapter goes through. It owns the order of a CORS decision —
 * decide → report-only candidate → apply (by the adapter) → record → log — and the one hazard every
 * adapter shares: a LATE decision. When an origin lookup is slow, another layer (a timeout middleware,
 * a proxy deadline) may have answered already; writing headers then throws ERR_HTTP_HEADERS_SENT
 * inside a promise, and an unhandled rejection ends the Node process. A late decision is counted
 * (`cors_response_findings_total{finding="late_decision"}`) and dropped, never thrown.
 *
 * An adapter translates its framework's request into a CorsRequest and describes its response with a
 * ResponseWriter; `serve()` does the rest. `handle()` is the same sequence for callers that apply the
 * decision themselves.
 */
import type { EnforceFinding } from './contract';
import type { CorsRequest, Decision } from './engine/decision';

/** How a decision reached the response: written, or too late (the response was already committed). */
export type Delivery = 'applied' | 'late';

/** One request in flight: its decision and the completion that counts and logs it. */
export interface Handling {
  /** Synchronous unless an origin must be resolved. The promise rejects only on an engine bug: pass the request on without CORS headers. */
  readonly decision: Decision | Promise<Decision>;
  /** Records the decision (metrics, violation log, report-only comparison), or only counts it as late. Call once. */
  complete(decision: Decision, delivery: Delivery): void;
}

/** The response side of an adapter. `Res`: the framework's response; `Next`/`Out`: how it goes on to the app. */
export interface ResponseWriter<Res, Next, Out> {
  /** The response's headers are already on the wire (or it has been ended): too late for CORS headers. */
  committed(res: Res): boolean;
  /**
   * Set when writing a header on a committed response throws (Node's `setHeader`: ERR_HTTP_HEADERS_SENT):
   * the port then lets the first write tell it, and asks `committed` only before a decision that writes
   * nothing. On Express each such question is a lookup in V8's runtime (issue #32).
   */
  readonly throwsWhenCommitted?: boolean;
  /** Another layer set Access-Control-Allow-Origin before us. */
  allowOriginSet(res: Res): boolean;
  /** Sets the decision's headers and appends its Vary fields (append, never overwrite). */
  writeHeaders(res: Res, decision: Decision): void;
  /** Ends the request with `status` and an empty body: preflights, opted-in rejections. */
  end(res: Res, status: number): void;
  /**
   * Optional: writeHeaders then end in one step, for a response where that is cheaper (the Node writer
   * reads `setHeader` off the response once for both). Without it the port calls the two in turn.
   */
  respond?(res: Res, decision: Decision, status: number): void;
  /**
   * Hands the request on to the application. `decision`: the decision whose headers were written (the
   * Koa writer keeps them on an error the application throws later); undefined when none could be made.
   */
  pass(res: Res, next: Next, decision?: Decision): Out;
}

/** What the port needs from the sentinel: the engine and the observers of its decisions. */
export interface PortParts {
  decide(req: CorsRequest): Decision | Promise<Decision>;
  /** `request` gives the violation log its method and path. */
  record(decision: Decision, seconds: number, rawOrigin?: string, request?: CorsRequest): void;
  reportFinding(finding: EnforceFinding, details: Readonly<Record<string, string>>): void;
  beginReportOnly(req: CorsRequest): { complete(live: Decision): void } | undefined;
  /**
   * The `localServer` Host allowlist: the refusal of a request whose Host is not allowed (undefined: it
   * is). Runs first, so that a DNS-rebinding request is refused, counted and logged as such before
   * cross-origin protection or CORS judge it.
   */
  screen?(req: CorsRequest): Decision | undefined;
  /** Cross-origin request protection (src/fetch-metadata): a blocked request is answered before CORS and the app. */
  protect?(req: CorsRequest): { readonly blocked: boolean; readonly status: number } | undefined;
}

export interface Port {
  handle(request: CorsRequest): Handling;
  /**
   * Decides, applies through `writer` and records. Returns what `writer.pass` returned when the
   * request went on to the app (a promise of it after an async lookup), undefined when it was ended
   * or dropped. Never throws for a late decision; the promise never rejects because of CORS.
   */
  serve<Res, Next, Out>(request: CorsRequest, res: Res, next: Next, writer: ResponseWriter<Res, Next, Out>): Out | undefined | Promise<Out | undefined>;
}

type ShadowCheck = { complete(live: Decision): void } | undefined;

/**
 * The clock of preflight latency, read once: Node defines the global `performance` as a lazy accessor
 * on globalThis, which every `performance.now()` would go through.
 */
const clockSource: { now(): number } = performance;

export function createPort(parts: PortParts): Port {
  /** Counts and logs a decision that was applied, or only notes it as late. */
  function complete(request: CorsRequest, d: Decision, delivery: Delivery, started: number, shadow: ShadowCheck): void {
    if (delivery === 'late') {
      parts.reportFinding('late_decision', { route: d.route, requestType: d.requestType, origin: request.origin ?? '', path: request.path });
    } else {
      parts.record(d, started < 0 ? 0 : (clockSource.now() - started) / 1000, request.origin, request);
    }
    shadow?.complete(d);
  }

  /** Only preflight answers are timed (cors_preflight_duration_seconds): other requests skip the clock. */
  function clock(request: CorsRequest): number {
    return request.method === 'OPTIONS' ? clockSource.now() : -1;
  }

  function finish<Res, Next, Out>(
    request: CorsRequest, d: Decision, started: number, shadow: ShadowCheck,
    res: Res, next: Next, writer: ResponseWriter<Res, Next, Out>,
  ): Out | undefined {
    const status = d.passThrough ? undefined : d.status ?? 204;
    const respondsAtOnce = status !== undefined && writer.respond !== undefined;
    // Whether the write below sets a header, so that a writer that throws when committed tells it there.
    const writes = respondsAtOnce || d.headers.length > 0 || d.vary.length > 0;
    if ((!writes || writer.throwsWhenCommitted !== true) && writer.committed(res)) {
      complete(request, d, 'late', started, shadow);
      return undefined; // someone else answered: neither headers nor the app may run on a sent response
    }
    try {
      if (respondsAtOnce) writer.respond!(res, d, status);
      else writer.writeHeaders(res, d);
    } catch {
      complete(request, d, 'late', started, shadow); // committed (before the check, or between it and the write)
      return undefined;
    }
    if (status === undefined) {
      complete(request, d, 'applied', started, shadow);
      return writer.pass(res, next, d);
    }
    if (!respondsAtOnce) writer.end(res, status);
    complete(request, d, 'applied', started, shadow);
    return undefined;
  }

  return {
    handle(request) {
      const started = clock(request);
      const decision = parts.decide(request);
      // Started after the live decision so that a slow candidate lookup overlaps it; never awaited.
      const shadow = parts.beginReportOnly(request);
      let done = false;
      return {
        decision,
        complete(d, delivery) {
          if (done) return;
          done = true;
          complete(request, d, delivery, started, shadow);
        },
      };
    },
    serve(request, res, next, writer) {
      if (request.origin !== undefined && writer.allowOriginSet(res)) {
        parts.reportFinding('acao_already_set', { origin: request.origin, path: request.path });
      }
      const refused = parts.screen?.(request);
      if (refused !== undefined) return finish(request, refused, -1, undefined, res, next, writer);
      // Cross-origin request protection (Fetch Metadata): a blocked request goes no further.
      const verdict = parts.protect?.(request);
      if (verdict !== undefined && verdict.blocked) {
        if (!writer.committed(res)) writer.end(res, verdict.status);
        return undefined;
      }
      // The same sequence as handle(), without its per-request object: this is every adapter's hot path.
      const started = clock(request);
      const decision = parts.decide(request);
      const shadow = parts.beginReportOnly(request);
      if (!(decision instanceof Promise)) return finish(request, decision, started, shadow, res, next, writer);
      return decision.then(
        (d) => finish(request, d, started, shadow, res, next, writer),
        // decide() turns resolver failures into decisions; anything else is a bug: no CORS headers, never a 500.
        () => (writer.committed(res) ? undefined : writer.pass(res, next)),
      );
    },
  };
}
