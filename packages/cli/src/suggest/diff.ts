/**
 * The semantic difference between the current policy and the candidate: per route, origins, methods
 * and request headers added and removed, credentials switched, routes added and removed. Compared on
 * the compiled policies, so a default (`content-type`, the default methods) is what the route allows.
 */
import type { PolicyView, RouteView } from './policy-view';

export interface RouteDiff {
  readonly route: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly origins: { readonly added: string[]; readonly removed: string[] };
  readonly methods: { readonly added: string[]; readonly removed: string[] };
  readonly headers: { readonly added: string[]; readonly removed: string[] };
  readonly credentials?: { readonly from: boolean; readonly to: boolean };
  /** The current route allowed any origin (`'*'` or reflection): the candidate names them for the first time. */
  readonly wasOpen?: boolean;
}

const EMPTY: RouteView = { key: '', origins: [], methods: [], headers: [], credentials: false, open: false };

function setDiff(from: readonly string[], to: readonly string[]): { added: string[]; removed: string[] } {
  const a = new Set(from);
  const b = new Set(to);
  return { added: [...b].filter((x) => !a.has(x)).sort(), removed: [...a].filter((x) => !b.has(x)).sort() };
}

export function diffPolicies(current: PolicyView | undefined, candidate: PolicyView): RouteDiff[] {
  const keys = new Set([...(current?.routes.keys() ?? []), ...candidate.routes.keys()]);
  const out: RouteDiff[] = [];
  for (const route of [...keys].sort()) {
    const from = current?.routes.get(route);
    const to = candidate.routes.get(route);
    const a = from ?? EMPTY;
    const b = to ?? EMPTY;
    const d: RouteDiff = {
      route,
      change: from === undefined ? 'added' : to === undefined ? 'removed' : 'changed',
      origins: setDiff(a.origins, b.origins),
      methods: setDiff(a.methods, b.methods),
      headers: setDiff(a.headers, b.headers),
      ...(a.credentials !== b.credentials && from !== undefined && to !== undefined ? { credentials: { from: a.credentials, to: b.credentials } } : {}),
      ...(a.open ? { wasOpen: true } : {}),
    };
    if (d.change !== 'changed' || d.credentials || d.wasOpen || [d.origins, d.methods, d.headers].some((s) => s.added.length + s.removed.length > 0)) out.push(d);
  }
  return out;
}

/** The diff as lines for the terminal: `+`/`-` per item, grouped by route. */
export function describeDiff(diffs: readonly RouteDiff[], against: string): string[] {
  if (diffs.length === 0) return [`diff against ${against}: no difference`];
  const lines = [`diff against ${against}:`];
  for (const d of diffs) {
    lines.push(`  route ${d.route}${d.change === 'changed' ? '' : ` (${d.change})`}${d.wasOpen ? ' — today it allows ANY origin; the candidate names them' : ''}`);
    for (const [what, s] of [['origin', d.origins], ['method', d.methods], ['header', d.headers]] as const) {
      for (const x of s.added) lines.push(`    + ${what} ${x}`);
      for (const x of s.removed) lines.push(`    - ${what} ${x}`);
    }
    if (d.credentials) lines.push(`    ~ credentials ${d.credentials.from} → ${d.credentials.to}`);
  }
  return lines;
}
