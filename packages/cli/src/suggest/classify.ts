/**
 * Every origin with its evidence put in one tier, with a decision and the reasons for both.
 *
 * Tiers (docs/suggest.md has the table):
 * - `pinned`: marked keep in the current policy (or `--keep`): allow, whatever the evidence says;
 * - `suspect`: attack-shaped (./suspect.ts): deny;
 * - `kept-steady`: seen on ≥ STEADY_MIN_DAYS days and on ≥ STEADY_SHARE of the recorded days;
 * - `kept-recurring`: rare but recurring (weekly, month-end): ≥ 2 distinct days at least
 *   RECURRING_MIN_SPREAD_DAYS apart;
 * - `new`: less history than that: review (never silently dropped, never silently allowed);
 * - `unused`: configured in `--policy` but not seen: review (left out) once the evidence reaches
 *   `--min-days` recorded days, allow (kept) before that.
 * A kept origin is allowed only when it is trusted (the current policy names it, it is under a
 * `--trust` domain, or browsers said `Sec-Fetch-Site: same-site`); otherwise it is under review.
 */
import { isLoopbackHost, parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import { totalsOf, type EvidenceView, type OriginTotals } from './evidence-input';
import { NO_PAIR } from './fold';
import type { Completeness } from './completeness';
import type { CurrentPolicy, Trust } from './current-policy';
import { routesListing } from './policy-view';
import { burstOrigins, suspectReasons } from './suspect';

export type Tier = 'pinned' | 'suspect' | 'kept-steady' | 'kept-recurring' | 'new' | 'unused';
export type Verdict = 'allow' | 'review' | 'deny';

export const STEADY_MIN_DAYS = 3;
export const STEADY_SHARE = 0.25;
export const RECURRING_MIN_SPREAD_DAYS = 7;

export interface Classified {
  readonly origin: string;
  tier: Tier;
  decision: Verdict;
  /** Routes it was seen on (or, unseen, is configured on). */
  readonly routes: string[];
  readonly counts: { preflightAllowed: number; preflightRejected: number; actualAllowed: number; actualRejected: number; credentialedGrants: number; secFetchSite: Record<string, number> };
  readonly days: number;
  readonly firstSeen: string | undefined;
  readonly lastSeen: string | undefined;
  readonly reasons: string[];
  /** The wildcard that grants it, when one does (set by ./wildcards.ts). */
  coveredBy?: string;
}

export interface ClassifyInput {
  readonly view: EvidenceView;
  readonly completeness: Completeness;
  readonly trust: Trust;
  readonly current: CurrentPolicy | undefined;
  readonly pinned: ReadonlySet<string>;
}

/** Orders origins as `a.localeCompare(b)` does (the same comparison: the default locale and options), without making a collator per call. */
const byLocale = new Intl.Collator().compare;

/**
 * What one classifyAll works out once for all origins. Reasons are shared texts where they can be:
 * hundreds of thousands of origins have a few distinct ones, and a text made per origin is memory the
 * garbage collector copies, and the report serialises, once per origin.
 */
interface Run {
  readonly input: ClassifyInput;
  readonly burst: ReadonlySet<string>;
  /** History by ./historyOf's key. */
  readonly histories: Map<number, History>;
  /** `trusted: …` by why. */
  readonly trustedReasons: Map<string, string>;
}

interface History {
  readonly tier: Tier;
  readonly reason: string;
}

export function classifyAll(input: ClassifyInput): Classified[] {
  const run: Run = { input, burst: burstOrigins(input.view), histories: new Map(), trustedReasons: new Map() };
  const out: Classified[] = [];
  for (let o = 0; o < input.view.originCount; o++) out.push(classifySeen(o, run));
  for (const origin of configuredUnseen(input)) out.push(classifyUnseen(origin, input));
  return out.sort((a, b) => byLocale(a.origin, b.origin));
}

const PINNED = 'pinned (keep marker or --keep): kept whatever the evidence says';
const PLAIN_HTTP = 'plain http:// (not loopback): a network attacker can forge it; allow it by hand if that is intended';
const NOT_TRUSTED = 'not trusted: neither in the current policy nor under a --trust domain, and browsers never said same-site: a person decides (a third-party integrator?)';

function classifySeen(o: number, run: Run): Classified {
  const { view, trust, current } = run.input;
  const origin = view.originOf(o);
  const totals = totalsOf(view, o);
  const why = trust.why(origin);
  const suspect = suspectReasons(origin, totals, trust, run.burst, view.origins, why !== undefined);
  if (run.input.pinned.has(origin)) return seenRecord(view, o, totals, 'pinned', 'allow', [PINNED, ...suspect.map((r) => `WARNING, attack-shaped: ${r}`)]);
  if (suspect.length > 0) return seenRecord(view, o, totals, 'suspect', 'deny', suspect);
  const history = historyOf(view.daysOf(o), run.input.completeness.recordedDays, run.histories);
  const trusted = why ?? sameSite(totals);
  const reasons = [history.reason];
  if (trusted !== undefined) reasons.push(trustedReason(trusted, run.trustedReasons));
  if (current !== undefined && why?.startsWith('allowed by the current policy')) {
    // Configured and used: keeping it cannot lock anyone out, whatever its history.
    return seenRecord(view, o, totals, history.tier, 'allow', reasons);
  }
  if (plainHttp(origin)) {
    reasons.push(PLAIN_HTTP);
    return seenRecord(view, o, totals, history.tier, 'review', reasons);
  }
  if (history.tier === 'new') return seenRecord(view, o, totals, 'new', 'review', reasons);
  if (trusted === undefined) {
    reasons.push(NOT_TRUSTED);
    return seenRecord(view, o, totals, history.tier, 'review', reasons);
  }
  return seenRecord(view, o, totals, history.tier, 'allow', reasons);
}

function trustedReason(trusted: string, memo: Map<string, string>): string {
  let reason = memo.get(trusted);
  if (reason === undefined) memo.set(trusted, (reason = `trusted: ${trusted}`));
  return reason;
}

function verdict(c: Classified, tier: Tier, decision: Verdict, reasons: string[]): Classified {
  c.tier = tier;
  c.decision = decision;
  c.reasons.push(...reasons);
  return c;
}

const DAY_MS = 86_400_000;
const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * `days`: the origin's distinct epoch days, ascending. A steady history's text depends on the number
 * of days alone, a new one's on that and a spread under RECURRING_MIN_SPREAD_DAYS: `memo` keeps each
 * once (a recurring one lists the days, and is made per origin).
 */
function historyOf(days: readonly number[], recordedDays: number, memo: Map<number, History>): History {
  const spread = days.length < 2 ? 0 : (days[days.length - 1] as number) - (days[0] as number);
  const seen = (): string => `seen on ${days.length} of ${recordedDays} recorded day(s)`;
  const steady = days.length >= STEADY_MIN_DAYS && days.length >= STEADY_SHARE * recordedDays;
  if (!steady && days.length >= 2 && spread >= RECURRING_MIN_SPREAD_DAYS) {
    return { tier: 'kept-recurring', reason: `rare but recurring: ${seen()}, ${spread} days apart from first to last (${days.map(dayText).join(', ')})` };
  }
  const key = steady ? -days.length : days.length * RECURRING_MIN_SPREAD_DAYS + spread;
  let history = memo.get(key);
  if (history !== undefined) return history;
  history = steady
    ? { tier: 'kept-steady', reason: `steady: ${seen()}` }
    : { tier: 'new', reason: `too little history: ${seen()}${days.length >= 2 ? `, only ${spread} day(s) apart` : ''} (recurring needs 2 days at least ${RECURRING_MIN_SPREAD_DAYS} days apart)` };
  memo.set(key, history);
  return history;
}

/** Browsers attest that the page shares the API's site; scanners cannot make a browser say it. */
function sameSite(t: OriginTotals): string | undefined {
  let same = 0;
  let other = 0;
  for (const site in t.secFetchSite) {
    const n = t.secFetchSite[site] as number;
    if (site === 'same-site' || site === 'same-origin') same += n;
    else other += n;
  }
  return same > 0 && other === 0 ? `browsers said Sec-Fetch-Site: same-site on all ${same} request(s)` : undefined;
}

function plainHttp(origin: string): boolean {
  // Any spelling of `http:` has its colon fifth: other origins are not parsed (again) here.
  if (origin.charCodeAt(4) !== 0x3a) return false;
  const p = parseRequestOrigin(origin);
  return p !== undefined && p.scheme === 'http' && !isLoopbackHost(p.host.replace(/^\[|\]$/g, ''));
}

/** The origin's record. Its times are made by Date, as one flat string each: faster than joining pieces, and the report serialises them without flattening. */
function seenRecord(view: EvidenceView, o: number, t: OriginTotals, tier: Tier, decision: Verdict, reasons: string[]): Classified {
  const [preflightAllowed, preflightRejected, actualAllowed, actualRejected] = view.countsOf(o);
  return {
    origin: view.originOf(o), tier, decision, routes: routesOf(view, o),
    counts: { preflightAllowed, preflightRejected, actualAllowed, actualRejected, credentialedGrants: t.credentialedGrants, secFetchSite: t.secFetchSite },
    days: view.daysOf(o).length, firstSeen: new Date(view.firstSeen(o)).toISOString(), lastSeen: new Date(view.lastSeen(o)).toISOString(), reasons,
  };
}

/** The routes an origin was seen on, sorted. */
function routesOf(view: EvidenceView, o: number): string[] {
  const routes: string[] = [];
  for (let p = view.firstPairOf(o); p !== NO_PAIR; p = view.nextPairOf(p)) routes.push(view.routeOf(p));
  return routes.length > 1 ? routes.sort() : routes;
}

/** Exact origins of the current policy (and `--keep` origins) that the evidence never saw. */
function configuredUnseen(input: ClassifyInput): string[] {
  const configured = new Set<string>(input.pinned);
  for (const route of input.current?.view.routes.values() ?? []) for (const o of route.origins) if (!o.includes('*') && !o.startsWith('/')) configured.add(o);
  return [...configured].filter((o) => input.view.origins.get(o) === undefined);
}

function classifyUnseen(origin: string, input: ClassifyInput): Classified {
  const routes = input.current === undefined ? [] : routesListing(input.current.view, origin);
  const c: Classified = {
    origin, tier: 'unused', decision: 'review', routes, days: 0, firstSeen: undefined, lastSeen: undefined, reasons: [],
    counts: { preflightAllowed: 0, preflightRejected: 0, actualAllowed: 0, actualRejected: 0, credentialedGrants: 0, secFetchSite: {} },
  };
  const window = input.completeness;
  if (input.pinned.has(origin)) return verdict(c, 'pinned', 'allow', ['pinned (keep marker or --keep): kept although not seen in the window']);
  if (!window.longEnough) return verdict(c, 'unused', 'allow', [`not seen, but the evidence covers only ${window.recordedDays} recorded day(s), fewer than --min-days ${window.minDays}: kept (no data is not "unused")`]);
  return verdict(c, 'unused', 'review', [`configured but not seen on any of ${window.recordedDays} recorded day(s) (${window.from} .. ${window.to}): left out of the candidate; keep it with a keep marker if it is used less often than that`]);
}
