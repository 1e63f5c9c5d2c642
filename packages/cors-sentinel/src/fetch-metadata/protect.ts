/**
 * The protection at request time: classify (./classify), then allow, count-and-pass (report-only)
 * or block (enforce). Synchronous and allocation-light; the verdict is handed to observers (the
 * counter and the rate-limited log) and applied by the adapter before CORS and the application.
 */
import type { ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { CounterBatch, enableBatching, flushOnCollect, type CounterSeries } from '../metrics/batch';
import { judgeRequest, PROTECTION_DECISIONS, SITES, type FetchMetadataRequest, type ProtectedRoute, type ProtectionDecision, type Site } from './classify';
import type { CompiledProtection } from '../policy/cross-origin-protection';

export interface ProtectionRequest extends FetchMetadataRequest {
  /** Path without the query string, as the framework routes it. */
  readonly path: string;
}

export type { ProtectedRoute } from './classify';

export interface ProtectionVerdict {
  readonly route: string;
  readonly site: Site;
  readonly decision: ProtectionDecision;
  /** The request must be answered with `status` and go no further. */
  readonly blocked: boolean;
  readonly status: number;
}

/** Receives every verdict with the request it judged. */
export type ProtectionObserver = (verdict: ProtectionVerdict, req: ProtectionRequest) => void;

export class CrossOriginProtector {
  constructor(
    readonly compiled: CompiledProtection,
    private readonly routeOf: (path: string) => ProtectedRoute,
    private readonly observers: readonly ProtectionObserver[] = [],
  ) {}

  /** The verdict on a request; undefined for GET, HEAD and OPTIONS, which are never judged nor counted. */
  protect(req: ProtectionRequest): ProtectionVerdict | undefined {
    const judged = judgeRequest(this.compiled, req, this.routeOf);
    if (judged === undefined) return undefined;
    const verdict: ProtectionVerdict = { route: judged.route.name, site: judged.site, decision: judged.decision, blocked: judged.decision === 'blocked', status: this.compiled.status };
    for (const observe of this.observers) observe(verdict, req);
    return verdict;
  }
}

/** Ends a blocked request: the status and nothing else (no body, no CORS headers: it reveals no policy). */
export function answerBlocked(res: ServerResponse, verdict: ProtectionVerdict): void {
  res.statusCode = verdict.status;
  res.setHeader('Content-Length', '0');
  res.end();
}

export const CROSS_ORIGIN_REQUESTS_METRIC = 'cross_origin_requests_total';

/** `<prefix>cross_origin_requests_total{route, site, decision}` on `registry` (reused if already there). */
export function crossOriginRequestsCounter(registry: Registry, prefix: string): Counter<'route' | 'site' | 'decision'> {
  const name = prefix + CROSS_ORIGIN_REQUESTS_METRIC;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'route' | 'site' | 'decision'>;
  return enableBatching(new Counter({
    name,
    registers: [registry],
    collect: flushOnCollect,
    help: 'Unsafe-method requests judged by cross-origin request protection (Fetch Metadata), by route, site (Sec-Fetch-Site, or Origin against Host) and decision.',
    labelNames: ['route', 'site', 'decision'] as const,
  }));
}

/**
 * Counts verdicts in batches handed to prom-client when the registry is collected (../metrics/batch):
 * a prom-client child hashes its labels on every `inc()`, which would cost more than the judging.
 */
export function countingObserver(counter: Counter<'route' | 'site' | 'decision'>): ProtectionObserver {
  const batch = new CounterBatch(counter);
  // Per route, one slot per (site, decision): found without building a key string per request.
  const byRoute = new Map<string, Array<CounterSeries | undefined>>();
  return (v) => {
    let slots = byRoute.get(v.route);
    if (slots === undefined) byRoute.set(v.route, (slots = new Array<CounterSeries | undefined>(SITES.length * PROTECTION_DECISIONS.length)));
    const i = (SITE_INDEX.get(v.site) as number) * PROTECTION_DECISIONS.length + (DECISION_INDEX.get(v.decision) as number);
    let s = slots[i];
    if (s === undefined) slots[i] = s = batch.open({ route: v.route, site: v.site, decision: v.decision });
    s.inc();
  };
}

const SITE_INDEX: ReadonlyMap<Site, number> = new Map(SITES.map((s, i) => [s, i]));
const DECISION_INDEX: ReadonlyMap<ProtectionDecision, number> = new Map(PROTECTION_DECISIONS.map((d, i) => [d, i]));

/** Where a rate-limited line about a request that was (or would be) blocked goes; `details` is called only for lines within budget. */
export type BlockLog = (decision: ProtectionDecision, details: () => Readonly<Record<string, string>>) => void;

/** Logs would_block and blocked verdicts (the log itself is rate-limited per decision). */
export function loggingObserver(log: BlockLog): ProtectionObserver {
  return (v, req) => {
    if (v.decision === 'allowed') return;
    log(v.decision, () => ({ route: v.route, site: v.site, method: req.method, path: req.path, origin: req.origin ?? '', secFetchSite: req.secFetchSite ?? '' }));
  };
}
