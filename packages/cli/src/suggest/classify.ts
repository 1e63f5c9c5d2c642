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

export function classifyAll(input: ClassifyInput): Classified[] {
  const burst = burstOrigins(input.view);
  const out: Classified[] = [];
  for (let o = 0; o < input.view.originCount; o++) out.push(classifySeen(o, input, burst));
  for (const origin of configuredUnseen(input)) out.push(classifyUnseen(origin, input));
  return out.sort((a, b) => byLocale(a.origin, b.origin));
}

function classifySeen(o: number, input: ClassifyInput, burst: ReadonlySet<string>): Classified {
  const { view } = input;
  const totals = totalsOf(view, o);
  const c = seenRecord(view, o, totals);
  const why = input.trust.why(c.origin);
  const suspect = suspectReasons(c.origin, totals, input.trust, burst, view.origins, why !== undefined);
  if (input.pinned.has(c.origin)) return verdict(c, 'pinned', 'allow', ['pinned (keep marker or --keep): kept whatever the evidence says', ...suspect.map((r) => `WARNING, attack-shaped: ${r}`)]);
  if (suspect.length > 0) return verdict(c, 'suspect', 'deny', suspect);
  const history = historyOf(view.daysOf(o), input.completeness.recordedDays);
  const trusted = why ?? sameSite(totals);
  const reasons = [history.reason];
  if (trusted !== undefined) reasons.push(`trusted: ${trusted}`);
  if (input.current !== undefined && why?.startsWith('allowed by the current policy')) {
    // Configured and used: keeping it cannot lock anyone out, whatever its history.
    return verdict(c, history.tier, 'allow', reasons);
  }
  const insecure = plainHttp(c.origin);
  if (insecure) return verdict(c, history.tier, 'review', [...reasons, 'plain http:// (not loopback): a network attacker can forge it; allow it by hand if that is intended']);
  if (history.tier === 'new') return verdict(c, 'new', 'review', reasons);
  if (trusted === undefined) return verdict(c, history.tier, 'review', [...reasons, 'not trusted: neither in the current policy nor under a --trust domain, and browsers never said same-site: a person decides (a third-party integrator?)']);
  return verdict(c, history.tier, 'allow', reasons);
}

function verdict(c: Classified, tier: Tier, decision: Verdict, reasons: string[]): Classified {
  c.tier = tier;
  c.decision = decision;
  c.reasons.push(...reasons);
  return c;
}

const DAY_MS = 86_400_000;
const dayText = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** The last millisecond whose ISO text has a four-digit year (9999-12-31T23:59:59.999Z). */
const LAST_ISO_MS = 253_402_300_799_999;
const dayTexts = new Map<number, string>();
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `new Date(ms).toISOString()`, without a Date per call: the report has two per origin. */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > LAST_ISO_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let text = dayTexts.get(day);
  if (text === undefined) dayTexts.set(day, (text = dayText(day)));
  const t = ms - day * DAY_MS;
  return `${text}T${pad(Math.floor(t / 3_600_000), 2)}:${pad(Math.floor(t / 60_000) % 60, 2)}:${pad(Math.floor(t / 1000) % 60, 2)}.${pad(t % 1000, 3)}Z`;
}

/** `days`: the origin's distinct epoch days, ascending. */
function historyOf(days: readonly number[], recordedDays: number): { tier: Tier; reason: string } {
  const spread = days.length < 2 ? 0 : (days[days.length - 1] as number) - (days[0] as number);
  const seen = `seen on ${days.length} of ${recordedDays} recorded day(s)`;
  if (days.length >= STEADY_MIN_DAYS && days.length >= STEADY_SHARE * recordedDays) return { tier: 'kept-steady', reason: `steady: ${seen}` };
  if (days.length >= 2 && spread >= RECURRING_MIN_SPREAD_DAYS) return { tier: 'kept-recurring', reason: `rare but recurring: ${seen}, ${spread} days apart from first to last (${days.map(dayText).join(', ')})` };
  return { tier: 'new', reason: `too little history: ${seen}${days.length >= 2 ? `, only ${spread} day(s) apart` : ''} (recurring needs 2 days at least ${RECURRING_MIN_SPREAD_DAYS} days apart)` };
}

/** Browsers attest that the page shares the API's site; scanners cannot make a browser say it. */
function sameSite(t: OriginTotals): string | undefined {
  const same = (t.secFetchSite.get('same-site') ?? 0) + (t.secFetchSite.get('same-origin') ?? 0);
  const other = [...t.secFetchSite.entries()].filter(([k]) => k !== 'same-site' && k !== 'same-origin').reduce((n, [, v]) => n + v, 0);
  return same > 0 && other === 0 ? `browsers said Sec-Fetch-Site: same-site on all ${same} request(s)` : undefined;
}

function plainHttp(origin: string): boolean {
  const p = parseRequestOrigin(origin);
  return p !== undefined && p.scheme === 'http' && !isLoopbackHost(p.host.replace(/^\[|\]$/g, ''));
}

function seenRecord(view: EvidenceView, o: number, t: OriginTotals): Classified {
  const [preflightAllowed, preflightRejected, actualAllowed, actualRejected] = view.countsOf(o);
  return {
    origin: view.originOf(o), tier: 'new', decision: 'review', routes: view.pairsOf(o).map((p) => view.routeOf(p)).sort(),
    counts: { preflightAllowed, preflightRejected, actualAllowed, actualRejected, credentialedGrants: t.credentialedGrants, secFetchSite: Object.fromEntries(t.secFetchSite) },
    days: view.daysOf(o).length, firstSeen: isoTime(view.firstSeen(o)), lastSeen: isoTime(view.lastSeen(o)), reasons: [],
  };
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
