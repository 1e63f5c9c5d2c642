/**
 * Wildcards, only where the evidence asks for one: WILDCARD_MIN_SIBLINGS or more distinct trusted
 * origins that share one parent (`a.shops.example.com`, `b.shops.example.com`, …) become the narrowest
 * pattern covering them, `https://*.shops.example.com` — never a wider one (`*.example.com` would
 * also grant `evilapp.example.com`). Refused: a parent that is a public suffix (anyone can register
 * under `github.io`, `co.uk`), and a parent under which an origin classified suspect was seen (the
 * pattern would grant the attack). Siblings covered by a wildcard are allowed, even the new ones: a
 * tenant created yesterday is what the pattern is for; the report says which wildcard covers them.
 */
import { getPublicSuffix } from 'tldts';
import { parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import type { Classified } from './classify';
import type { Trust } from './current-policy';

/** How many observed siblings make "many": fewer stay exact origins, which cost nothing to list. */
export const WILDCARD_MIN_SIBLINGS = 10;

export interface Wildcard {
  readonly pattern: string;
  readonly siblings: readonly string[];
}

/** `https://x.shops.example.com:8443` → `https://shops.example.com:8443`; undefined for single-label and IP hosts. */
function parentOf(origin: string): { group: string; scheme: string; parent: string; port: string } | undefined {
  const p = parseRequestOrigin(origin);
  if (p === undefined || p.host.startsWith('[') || /^[\d.]+$/.test(p.host)) return undefined;
  const dot = p.host.indexOf('.');
  if (dot === -1) return undefined;
  const parent = p.host.slice(dot + 1);
  const port = p.port === '' ? '' : `:${p.port}`;
  return { group: `${p.scheme}://${parent}${port}`, scheme: p.scheme, parent, port };
}

/** Finds the wildcards and marks the siblings they cover (in place). Returns them, with notes on refused ones. */
export function widen(classified: Classified[], trust: Trust): { wildcards: Wildcard[]; notes: string[] } {
  const groups = new Map<string, Classified[]>();
  for (const c of classified) {
    if (!eligible(c, trust)) continue;
    const p = parentOf(c.origin);
    if (p === undefined) continue;
    const list = groups.get(p.group);
    if (list === undefined) groups.set(p.group, [c]);
    else list.push(c);
  }
  const wildcards: Wildcard[] = [];
  const notes: string[] = [];
  // Few origins are denied next to the many allowed: look for blockers among them only.
  const denied = classified.filter((c) => c.tier === 'suspect' || c.decision === 'deny');
  for (const [group, siblings] of groups) {
    if (siblings.length < WILDCARD_MIN_SIBLINGS) continue;
    const { scheme, parent, port } = parentOf(`${group.replace('://', '://x.')}`) ?? { scheme: '', parent: '', port: '' };
    const pattern = `${scheme}://*.${parent}${port}`;
    if (!parent.includes('.') || getPublicSuffix(parent, { allowPrivateDomains: true }) === parent) {
      notes.push(`${siblings.length} origins under ${parent} stay exact: ${parent} is a public suffix, and ${pattern} would grant anyone's site`);
      continue;
    }
    const blocker = denied.find((c) => under(c.origin, scheme, parent, port));
    if (blocker !== undefined) {
      notes.push(`${siblings.length} origins under ${parent} stay exact: ${pattern} would also grant ${blocker.origin}, classified ${blocker.tier}`);
      continue;
    }
    wildcards.push({ pattern, siblings: siblings.map((c) => c.origin) });
    // One text of each kind for the group, shared by its siblings (thousands of them).
    const allowed = `allowed through ${pattern}, the narrowest parent of ${siblings.length} observed trusted siblings`;
    const granted = `granted through ${pattern} (${siblings.length} observed trusted siblings)`;
    for (const c of siblings) {
      c.coveredBy = pattern;
      c.reasons.push(c.decision !== 'allow' ? allowed : granted);
      c.decision = 'allow';
    }
  }
  return { wildcards, notes };
}

/** Trusted, not attack-shaped, https (or loopback http): allowed, or under review only for lack of history. */
function eligible(c: Classified, trust: Trust): boolean {
  if (c.tier === 'suspect' || c.tier === 'unused' || c.tier === 'pinned') return false;
  if (c.decision === 'allow') return true;
  return c.tier === 'new' && trust.covers(c.origin) && c.reasons.every((r) => !r.startsWith('plain http://'));
}

function under(origin: string, scheme: string, parent: string, port: string): boolean {
  const p = parseRequestOrigin(origin);
  if (p === undefined) return origin !== 'null' && origin.includes(parent); // a malformed look-alike of the parent
  return p.scheme === scheme && (p.port === '' ? '' : `:${p.port}`) === port && p.host.endsWith(`.${parent}`);
}
