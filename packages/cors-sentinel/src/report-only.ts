/**
 * The report-only candidate policy: evaluated beside the live answer on every request, never
 * enforced. Only its disagreements are counted (`cors_shadow_decisions_total{route, change}`) and
 * sampled in the log, so that an operator can watch what a stricter policy would break before switching.
 *
 * The candidate can never affect a response: its decision is started when the request arrives (so an
 * async origin lookup overlaps the live work), is never awaited on the request path, and whatever it
 * throws is swallowed.
 */
import type { CorsRequest, Decision, Outcome, Reason, RequestType } from './engine/decision';
import { decide } from './engine/decide';
import { compilePolicy } from './engine/compile-policy';
import type { CompiledPolicy } from './engine/compiled';
import { CorsConfigError, type ConfigProblem } from './policy/errors';
import type { ReportOnlyPolicyOptions } from './policy/options';
import type { ShadowChange } from './metrics/recorder';

/** What the live layer answered, as far as the comparison needs it. */
export interface LiveAnswer {
  readonly route: string;
  readonly requestType: RequestType;
  readonly outcome: Outcome | undefined;
  readonly reason?: Reason | undefined;
}

/** Receives each disagreement: counted in metrics and sampled in the log by the caller. */
export type ShadowSink = (route: string, change: ShadowChange, details: Readonly<Record<string, string>>) => void;

/** One request's pending comparison: `complete()` it with the live answer once that is known. */
export interface ShadowCheck {
  complete(live: LiveAnswer): void;
}

/** Keys of the live options that make no sense in a candidate (it only decides, it reports through the live instance). */
const NOT_IN_CANDIDATE = ['metrics', 'logger', 'logging', 'reportOnly', 'crossOriginProtection', 'evidence'] as const;

/**
 * Validates a candidate with the live policy's compiler. Problems are returned with a `reportOnly.`
 * path prefix, so that the caller can throw them together with the live policy's own.
 */
export function compileCandidate(
  options: ReportOnlyPolicyOptions | undefined,
): { policy: CompiledPolicy | undefined; problems: ConfigProblem[] } {
  if (options === undefined) return { policy: undefined, problems: [] };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return { policy: undefined, problems: [{ path: 'reportOnly', code: 'invalid_type', message: 'expected a policy options object' }] };
  }
  const problems: ConfigProblem[] = [];
  for (const key of NOT_IN_CANDIDATE) {
    if (key in options) {
      problems.push({ path: `reportOnly.${key}`, code: 'unknown_option', message: `a report-only policy takes no ${JSON.stringify(key)}: it reports through the live instance` });
    }
  }
  try {
    const policy = compilePolicy(options);
    return { policy: problems.length === 0 ? policy : undefined, problems };
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    for (const p of err.problems) problems.push({ ...p, path: `reportOnly.${p.path}` });
    return { policy: undefined, problems };
  }
}

/** Compiles `compile()` (the live policy or the observer's settings) and the candidate, throwing one error with every problem of both. */
export function compileWithCandidate<T>(
  compile: () => T,
  candidateOptions: ReportOnlyPolicyOptions | undefined,
): { live: T; candidate: CompiledPolicy | undefined } {
  let live: T | undefined;
  const problems: ConfigProblem[] = [];
  try {
    live = compile();
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    problems.push(...err.problems);
  }
  const candidate = compileCandidate(candidateOptions);
  problems.push(...candidate.problems);
  if (problems.length > 0) throw new CorsConfigError(problems);
  return { live: live as T, candidate: candidate.policy };
}

export class ShadowEvaluator {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    readonly candidate: CompiledPolicy,
    private readonly sink: ShadowSink,
  ) {}

  /** Starts the candidate's decision for a request. Costs only the candidate's synchronous decision. */
  begin(request: CorsRequest): ShadowCheck {
    let decided: Decision | Promise<Decision> | undefined;
    try {
      decided = decide(this.candidate, request);
    } catch {
      decided = undefined; // a candidate that cannot decide reports nothing rather than disturb the request
    }
    return {
      complete: (live) => {
        if (decided === undefined || live.requestType === 'non_cors' || live.outcome === undefined) return;
        if (!(decided instanceof Promise)) {
          this.compare(live, decided, request);
          return;
        }
        const settled = decided.then(
          (d) => this.compare(live, d, request),
          () => undefined,
        );
        this.pending.add(settled);
        void settled.finally(() => this.pending.delete(settled));
      },
    };
  }

  /** Resolves once every candidate decision started so far has been compared (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private compare(live: LiveAnswer, d: Decision, request: CorsRequest): void {
    // A candidate that turns CORS off for the route would leave the browser without a grant: a rejection.
    const candidateOutcome: Outcome = d.requestType === 'non_cors' ? 'rejected' : (d.outcome ?? 'rejected');
    if (candidateOutcome === live.outcome) return;
    const change: ShadowChange = candidateOutcome === 'rejected' ? 'would_reject' : 'would_allow';
    try {
      this.sink(live.route, change, {
        route: live.route,
        requestType: live.requestType,
        origin: d.origin ?? '',
        candidateRoute: d.route,
        method: request.method,
        path: request.path,
        ...(d.offending !== undefined ? { offending: d.offending } : {}),
        ...(live.reason !== undefined ? { liveReason: live.reason } : {}),
        ...(d.reason !== undefined ? { candidateReason: d.reason } : d.requestType === 'non_cors' ? { candidateReason: 'cors_disabled' } : {}),
      });
    } catch {
      // Reporting must never break a request.
    }
  }
}
