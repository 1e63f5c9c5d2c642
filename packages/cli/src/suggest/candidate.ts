/**
 * The candidate policy: per route, the origins allowed by ./classify.ts and ./wildcards.ts, and the
 * methods, request headers and credentials those origins actually used there. Nothing an allowed
 * origin did not use is granted; origins under review or denied are not in it (they are listed in a
 * comment at its top and in the report). Routes of the current policy stay, even with no origin left,
 * so that their paths do not fall through to a wider default route.
 */
import { FORBIDDEN_METHODS, isForbiddenRequestHeader, isToken } from 'cors-sentinel/internal/http/tokens';
import type { RoutePolicyOptions, ReportOnlyPolicyOptions } from 'cors-sentinel/internal/policy/options';
import { ProblemCollector } from 'cors-sentinel/internal/policy/errors';
import { parseRoutePattern } from 'cors-sentinel/internal/policy/routes';
import type { EvidenceView } from './evidence-input';
import type { Classified } from './classify';
import type { CurrentPolicy } from './current-policy';
import { DEFAULT_ROUTE, NO_ORIGIN, type RouteView } from './policy-view';

interface RouteDraft {
  readonly origins: Set<string>;
  readonly methods: Set<string>;
  readonly headers: Set<string>;
  credentials: boolean;
}

const newDraft = (): RouteDraft => ({ origins: new Set(), methods: new Set(), headers: new Set(), credentials: false });

/** Methods a preflight can ask for and a policy can list (GET, HEAD and POST are always allowed anyway). */
function usableMethod(m: string): boolean {
  const upper = m.toUpperCase();
  return isToken(m) && !FORBIDDEN_METHODS.has(upper) && upper !== 'OPTIONS';
}

const usableHeader = (h: string): boolean => isToken(h) && !isForbiddenRequestHeader(h.toLowerCase());

export interface Candidate {
  readonly options: ReportOnlyPolicyOptions;
  /** Evidence routes the policy format cannot name (left to the default route), said out loud. */
  readonly notes: string[];
}

export function buildCandidate(classified: readonly Classified[], view: EvidenceView, current: CurrentPolicy | undefined): Candidate {
  const drafts = new Map<string, RouteDraft>();
  const draft = (key: string): RouteDraft => drafts.get(key) ?? drafts.set(key, newDraft()).get(key) as RouteDraft;
  for (const route of current?.view.routes.keys() ?? []) draft(route);
  draft(DEFAULT_ROUTE);
  const names = nameRules();
  for (const c of classified) {
    if (c.decision !== 'allow') continue;
    const seen = view.origins.get(c.origin);
    if (seen === undefined) {
      keepUnseen(c, current, draft);
      continue;
    }
    for (const pair of view.pairsOf(seen)) grant(draft(view.routeOf(pair)), c.coveredBy ?? c.origin, view, pair, names);
  }
  return toOptions(drafts, new Set(current?.view.routes.keys() ?? []));
}

/** A name as the candidate lists it (undefined: not listed), worked out once per name: a few names recur over hundreds of thousands of pairs. */
interface NameRules {
  readonly method: (name: string) => string | undefined;
  readonly header: (name: string) => string | undefined;
}

function once(f: (name: string) => string | undefined): (name: string) => string | undefined {
  const known = new Map<string, string | undefined>();
  return (name) => {
    if (known.has(name)) return known.get(name);
    const value = f(name);
    known.set(name, value);
    return value;
  };
}

const nameRules = (): NameRules => ({
  method: once((m) => (usableMethod(m) ? m.toUpperCase() : undefined)),
  header: once((h) => (usableHeader(h) ? h.toLowerCase() : undefined)),
});

function grant(d: RouteDraft, entry: string, view: EvidenceView, pair: number, names: NameRules): void {
  d.origins.add(entry);
  for (const m of view.methodsOf(pair)) {
    const method = names.method(m);
    if (method !== undefined) d.methods.add(method);
  }
  for (const h of view.headersOf(pair)) {
    const header = names.header(h);
    if (header !== undefined) d.headers.add(header);
  }
  if (view.credentialedOn(pair)) d.credentials = true;
}

/** A configured origin kept without evidence (pinned, or the window is too short) keeps what its routes grant today. */
function keepUnseen(c: Classified, current: CurrentPolicy | undefined, draft: (key: string) => RouteDraft): void {
  const routes = c.routes.length > 0 ? c.routes : [DEFAULT_ROUTE];
  for (const key of routes) {
    const d = draft(key);
    d.origins.add(c.origin);
    const today: RouteView | undefined = current?.view.routes.get(key);
    if (today === undefined) continue;
    for (const m of today.methods) if (usableMethod(m)) d.methods.add(m);
    for (const h of today.headers) if (usableHeader(h)) d.headers.add(h);
    d.credentials ||= today.credentials;
  }
}

function policyOf(d: RouteDraft): RoutePolicyOptions | Omit<RoutePolicyOptions, 'path'> {
  // credentials is always written: a route would otherwise inherit the default route's.
  return { origins: d.origins.size === 0 ? [NO_ORIGIN] : [...d.origins].sort(), methods: [...d.methods].sort(), allowedHeaders: [...d.headers].sort(), credentials: d.credentials };
}

function toOptions(drafts: Map<string, RouteDraft>, configured: ReadonlySet<string>): Candidate {
  const top = policyOf(drafts.get(DEFAULT_ROUTE) ?? newDraft());
  const notes: string[] = [];
  // Routes match case-insensitively: case twins are one route, their grants united under the first spelling.
  const byPattern = new Map<string, { path: string; d: RouteDraft }>();
  for (const [key, d] of [...drafts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (key === DEFAULT_ROUTE || (d.origins.size === 0 && !configured.has(key))) continue;
    // A recorder without a route table names routes after the first path segment, which may be
    // anything a client sent: one the policy format cannot express is not invented.
    const pattern = parseRoutePattern(key, 'route', new ProblemCollector());
    if (pattern === undefined) {
      notes.push(`route ${JSON.stringify(key)} (${d.origins.size} allowed origin(s)) is left out: not a path pattern a policy can name; its paths fall to the default route`);
      continue;
    }
    const id = `${pattern.kind} ${pattern.literal}`;
    const twin = byPattern.get(id);
    if (twin === undefined) byPattern.set(id, { path: key, d });
    else unite(twin.d, d);
  }
  const routes: RoutePolicyOptions[] = [...byPattern.values()].map(({ path, d }) => ({ path, ...policyOf(d) }));
  // Every route states all its settings, so none inherits a grant from the default route by omission.
  return { options: routes.length > 0 ? { ...top, routes } : top, notes };
}

function unite(into: RouteDraft, from: RouteDraft): void {
  for (const o of from.origins) into.origins.add(o);
  for (const m of from.methods) into.methods.add(m);
  for (const h of from.headers) into.headers.add(h);
  into.credentials ||= from.credentials;
}
