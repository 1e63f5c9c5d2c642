/**
 * What `suggest` tells a person: the tiers on the terminal, and the `--report` JSON (one entry per
 * origin: origin, tier, decision, routes, counts, days, firstSeen, lastSeen, reasons).
 */
import type { Classified, Tier } from './classify';
import type { Completeness } from './completeness';
import type { RouteDiff } from './diff';
import type { Wildcard } from './wildcards';

export interface SuggestReport {
  readonly generatedAt: string;
  readonly completeness: Completeness;
  readonly wildcards: readonly Wildcard[];
  readonly notes: readonly string[];
  readonly diff: readonly RouteDiff[];
  readonly origins: readonly Classified[];
}

const TIER_ORDER: readonly Tier[] = ['kept-steady', 'kept-recurring', 'pinned', 'new', 'unused', 'suspect'];
const TIER_TITLE: Readonly<Record<Tier, string>> = {
  'kept-steady': 'kept (steady)',
  'kept-recurring': 'kept (rare but recurring)',
  pinned: 'pinned (keep marker)',
  new: 'new (too little history)',
  unused: 'unused (configured, not seen)',
  suspect: 'suspect (attack-shaped)',
};
/** Suspect origins can number thousands in a scan: the terminal shows this many, the report all. */
const SHOWN_PER_TIER = 25;

export function describeTiers(classified: readonly Classified[]): string[] {
  const lines: string[] = [];
  const decisions = { allow: 0, review: 0, deny: 0 };
  for (const c of classified) decisions[c.decision] += 1;
  lines.push(`origins: ${classified.length} — allow ${decisions.allow}, review ${decisions.review}, deny ${decisions.deny}`);
  for (const tier of TIER_ORDER) {
    const inTier = classified.filter((c) => c.tier === tier);
    if (inTier.length === 0) continue;
    // Origins a wildcard covers are summed up in one line per wildcard: tenants can number thousands.
    const covered = new Map<string, number>();
    for (const c of inTier) if (c.coveredBy !== undefined) covered.set(c.coveredBy, (covered.get(c.coveredBy) ?? 0) + 1);
    const listed = inTier.filter((c) => c.coveredBy === undefined);
    lines.push(`  ${TIER_TITLE[tier]}: ${inTier.length}`);
    for (const [pattern, n] of covered) lines.push(`    allow  ${n} origin(s) via ${pattern}`);
    for (const c of listed.slice(0, SHOWN_PER_TIER)) {
      const why = c.reasons.find((r) => r.startsWith('not trusted') || r.startsWith('plain http')) ?? c.reasons[0] ?? '';
      lines.push(`    ${c.decision.padEnd(6)} ${c.origin} — ${why}`);
    }
    if (listed.length > SHOWN_PER_TIER) lines.push(`    … ${listed.length - SHOWN_PER_TIER} more (all in --report)`);
  }
  return lines;
}

export function reportJson(report: SuggestReport): string {
  return `${JSON.stringify(report, null, 1)}\n`;
}
