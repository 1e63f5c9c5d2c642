/**
 * What cross-origin request protection (Fetch Metadata) does with a request, in words: it runs before
 * CORS and the handler, so `explain` must give its verdict too, or a cross-site POST that the server
 * answers 403 would be explained as reaching the handler.
 */
import { judgeRequest, type Judgement } from '../fetch-metadata/classify';
import type { CompiledPolicy } from './compiled';
import { selectRoute } from './decide';
import type { CorsRequest } from './decision';

export interface ProtectionExplanation {
  readonly mode: 'report-only' | 'enforce';
  /** The `site` label, and how it was found: the browser's Sec-Fetch-Site, or Origin against Host. */
  readonly site: Judgement['site'];
  readonly by: Judgement['by'];
  readonly decision: Judgement['decision'];
  readonly bypassed: boolean;
  readonly trusted: boolean;
  /** The status a blocked request is answered with (before CORS and the handler). */
  readonly status: number;
  readonly why: string;
}

/** The protection's verdict on `req`; undefined when the policy has no protection or the method is safe (GET, HEAD, OPTIONS). */
export function explainProtection(policy: CompiledPolicy, req: CorsRequest): ProtectionExplanation | undefined {
  const compiled = policy.crossOriginProtection;
  if (compiled === undefined) return undefined;
  const judged = judgeRequest(compiled, req, (path) => selectRoute(policy, path));
  if (judged === undefined) return undefined;
  const base = { mode: compiled.mode, site: judged.site, by: judged.by, decision: judged.decision, bypassed: judged.bypassed, trusted: judged.trusted, status: compiled.status };
  return { ...base, why: `Cross-origin protection (${compiled.mode}): ${signal(judged, req)}; ${verdict(judged, compiled.status)}.` };
}

function signal(j: Judgement, req: CorsRequest): string {
  if (j.by === 'sec-fetch-site') return `Sec-Fetch-Site: ${JSON.stringify(req.secFetchSite ?? '')} makes the ${req.method} ${j.site}`;
  if (j.by === 'no-browser-signal') return `no Sec-Fetch-Site and no Origin: not a browser's cross-site ${req.method}`;
  return `no Sec-Fetch-Site, so Origin ${JSON.stringify(req.origin ?? '')} was compared with Host ${JSON.stringify(req.host ?? '')}: ${j.site}`;
}

function verdict(j: Judgement, status: number): string {
  if (!j.needsTrust) return 'allowed';
  if (j.bypassed) return 'allowed, the path is bypassed';
  if (j.trusted) return 'allowed, the origin is trusted';
  if (j.decision === 'blocked') return `blocked: answered ${status} before CORS and the handler run (the origin is not trusted)`;
  return 'would be blocked in enforce mode (the origin is not trusted); report-only counts it (decision "would_block") and passes it on';
}
