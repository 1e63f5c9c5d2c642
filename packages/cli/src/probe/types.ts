/** Shapes shared by the prober's pieces: options, requests sent, answers received, findings. */
import type { OriginAccess, OriginClass, ProbeClass, Severity } from './classes';

/** Who can send a mutated origin from a victim's browser. */
export type Reach =
  | 'anyone' // any website: a registrable domain, a shared host, a sandboxed iframe
  | 'safari' // a host name only some browser engines accept
  | 'subdomain' // someone who controls a host under the site's own domain (takeover, XSS, user content)
  | 'network'; // someone on the victim's network path (http origin)

export interface OriginMutation {
  readonly class: OriginClass;
  readonly origin: string;
  readonly reach: Reach;
}

export interface ProbeOptions {
  /** The one URL that is contacted. */
  readonly url: string;
  /** The origin of the real frontend (default: the URL's own origin). */
  readonly siteOrigin?: string;
  /** Method the frontend uses: sent as Access-Control-Request-Method (actual probes use GET/HEAD, or POST with `body`). */
  readonly method?: string;
  /** Headers the frontend sends: sent as Access-Control-Request-Headers. */
  readonly headers?: readonly string[];
  /**
   * Headers sent with every actual request (a session: Cookie, Authorization), never with preflights
   * (browsers send none there) and never to another URL. Their values are redacted in every output.
   */
  readonly sendHeaders?: readonly (readonly [name: string, value: string])[];
  /** A harmless body the user provides: with method POST, actual requests are POSTs carrying it (opt-in). */
  readonly body?: string;
  /** Content type of `body`: one a simple request may send (default application/x-www-form-urlencoded). */
  readonly contentType?: string;
  /** Per-request timeout (ms). */
  readonly timeoutMs?: number;
  /** Deadline for the whole probe (ms). */
  readonly deadlineMs?: number;
  /** Most requests the probe may send. */
  readonly budget?: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** Registrable domain used to build attacker origins (never contacted). */
  readonly attackerDomain?: string;
  /** Accept self-signed certificates (staging). */
  readonly insecure?: boolean;
  /**
   * The key shared with the target's `probeKey` (at least 32 bytes): every request carries a
   * `CORS-Sentinel-Probe` signature, so that the target counts the probe apart from attacks
   * (docs/prober.md#signed-probes). Never sent, shown or written anywhere.
   */
  readonly probeKey?: Uint8Array;
  /** Cancels the probe: requests in flight are aborted and no more are sent (the exporter's scrapers all left). */
  readonly signal?: AbortSignal;
}

export type RequestKind = 'actual' | 'preflight';

export interface ProbeRequest {
  readonly kind: RequestKind;
  /** Absent: a request without Origin (baseline). */
  readonly origin?: string;
  readonly requestMethod?: string;
  readonly requestHeaders?: string;
  readonly privateNetwork?: boolean;
}

export interface ProbeResponse {
  readonly request: ProbeRequest;
  readonly status: number;
  /** Lower-cased header name → values (repeated headers kept apart). */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

export interface Finding {
  readonly class: ProbeClass;
  readonly severity: Severity;
  /** One line: what an attacker can do, which is the reason for the grade. */
  readonly explanation: string;
  /** The row of the severity table (classes.ts) this finding was graded by. */
  readonly situation: string;
  /** Origin classes: how the grant reaches an attacker (read, write, hidden_read, preflight_only). */
  readonly access?: OriginAccess;
  /** Narrower origin classes that the reflection of any origin makes true as well (not listed again). */
  readonly implies?: readonly ProbeClass[];
  /** What was sent and seen, for reproduction. */
  readonly evidence: {
    readonly origin?: string;
    readonly kind: RequestKind;
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
  };
}

export interface ProbeReport {
  readonly url: string;
  readonly siteOrigin: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly requestsSent: number;
  /** Checks left out because the request budget or the deadline ran out. */
  readonly skipped: number;
  readonly findings: readonly Finding[];
  /** Any origin the site does not own can read credentialed responses. */
  readonly credentialedOriginReflection: boolean;
  /** `inconclusive`: no actual request got an answer that can be judged; "no findings" would be a guess. */
  readonly verdict: 'judged' | 'inconclusive';
  /** Why the probe is inconclusive, and what to try. */
  readonly inconclusive?: { readonly reason: string; readonly tryNext: readonly string[] };
  /** Method of the actual requests (GET, HEAD, or POST when opted in). */
  readonly actualMethod: string;
  /** Names of the headers sent with actual requests (values never shown). */
  readonly sentHeaders: readonly string[];
}
