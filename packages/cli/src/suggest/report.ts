/**
 * What `suggest` tells a person: the tiers on the terminal, and the `--report` JSON (one entry per
 * origin: origin, tier, decision, routes, counts, days, firstSeen, lastSeen, reasons).
 */
import { closeSync, openSync, writeFileSync } from 'node:fs';
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

/** The `--report` text: the report as JSON, one space per level. writeReport writes the same bytes. */
export function reportJson(report: SuggestReport): string {
  return `${JSON.stringify(report, null, 1)}\n`;
}

/** Origins serialised per JSON.stringify call in writeReport. */
export const ORIGINS_PER_PIECE = 2000;
/** How JSON.stringify({ origins: [...] }, null, 1) opens and closes around the origins: the report's own ending. */
const OPEN = '{\n "origins": [\n';
const CLOSE = '\n ]\n}';

/**
 * Writes reportJson(report) to `path` without making it as one string. With hundreds of thousands of
 * origins that string is 170 MB: V8 builds it in parts, joins them, and writing encodes it once more;
 * here the origins are serialised ORIGINS_PER_PIECE at a time and written as they come (about a fifth
 * less CPU; docs/BENCHMARKS.md). A piece is serialised as the `origins` of an object, at the depth the
 * origins have in the report, so its text between OPEN and CLOSE is that of the whole. `origins` is
 * the report's last key (as the command builds it): its text is written last.
 */
export function writeReport(path: string, report: SuggestReport): void {
  const { origins, ...rest } = report;
  const head = JSON.stringify({ ...rest, origins: [] }, null, 1);
  const fd = openSync(path, 'w');
  try {
    if (origins.length === 0) {
      writeFileSync(fd, `${head}\n`);
      return;
    }
    writeFileSync(fd, `${head.slice(0, -`[]\n}`.length)}[\n`);
    for (let i = 0; i < origins.length; i += ORIGINS_PER_PIECE) {
      const text = JSON.stringify({ origins: origins.slice(i, i + ORIGINS_PER_PIECE) }, null, 1);
      // writeFileSync on a descriptor writes at its position, all of the text (a short write is resumed).
      writeFileSync(fd, `${i === 0 ? '' : ',\n'}${text.slice(OPEN.length, -CLOSE.length)}`);
    }
    writeFileSync(fd, `${CLOSE}\n`);
  } finally {
    closeSync(fd);
  }
}
