/**
 * Attack-shaped origins: what a scanner, a prober or an attacker page sends, recognised by shape, so
 * that `suggest` never turns an attack seen through a permissive layer into an allowed origin. The
 * shapes are the prober's own mutation classes (../probe/mutations.ts builds them; this reads them
 * back), `null`, plain `http://` with credentials, reserved or undelegated TLDs (`.invalid`, `.test`),
 * look-alikes of trusted domains, a burst of many new origins in a short span, and origins the
 * policy in force only ever rejected.
 */
import { parse as parseHost } from 'tldts';
import { isLoopbackHost, parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import { SUBDOMAIN_LABELS, THIRD_PARTY_ORIGINS } from '../probe/mutations';
import type { EvidenceView, OriginTotals } from './evidence-input';
import type { Trust } from './current-policy';

/** A burst: at least this many distinct origins, each seen on one day only, first seen within BURST_SPAN_MS. */
export const BURST_MIN_ORIGINS = 20;
export const BURST_SPAN_MS = 10 * 60_000;
/** A registrable domain this close (edits) to a trusted one is a look-alike (`exarnple.com`, `xample.com`). */
const LOOKALIKE_MAX_EDITS = 2;
const LOOKALIKE_MIN_LENGTH = 6;

const THIRD_PARTY = new Set<string>(THIRD_PARTY_ORIGINS);
const LDH_HOST = /^[a-z0-9.-]+$/;
/** The prober's subdomain labels with their dot, made once rather than per origin. */
const PROBE_PREFIXES = SUBDOMAIN_LABELS.map((l) => `${l}.`);

/** The reasons an origin is attack-shaped (empty: it is not). `covered`: whether `trust` covers it (the caller knows). */
export function suspectReasons(origin: string, totals: OriginTotals, trust: Trust, burst: ReadonlySet<string>, seen: { get(origin: string): number | undefined }, covered = trust.covers(origin)): string[] {
  if (origin === 'null') return ['the opaque origin `null`: any page can send it from a sandboxed iframe, so granting it grants everyone'];
  const parsed = parseRequestOrigin(origin);
  if (parsed === undefined) return ['not a valid serialised origin (the browser never sends it: a tool did)'];
  const reasons: string[] = [];
  // Only an IPv6 host has brackets (parseRequestOrigin): the others skip the regex.
  const host = parsed.host.startsWith('[') ? parsed.host.replace(/^\[|\]$/g, '') : parsed.host;
  if (THIRD_PARTY.has(origin)) reasons.push('a platform where anyone can publish a page (the prober\'s third_party_origin class)');
  if (!host.includes(':') && !LDH_HOST.test(host)) reasons.push('characters outside letters, digits, dots and hyphens in the host (the prober\'s special_characters class: a parser differential)');
  reasons.push(...hostShape(host), ...(covered ? [] : lookalike(host, trust)));
  if (parsed.scheme === 'http' && !isLoopbackHost(host)) {
    if (totals.credentialedGrants > 0) reasons.push(`plain http:// with ${totals.credentialedGrants} credentialed grant(s): a network attacker can forge it and read the user's data`);
    else if (seen.get(`https://${parsed.host}`) !== undefined && trust.covers(`https://${parsed.host}`)) reasons.push('the plain http:// twin of a trusted https origin seen in the evidence (the prober\'s http_origin_trusted class)');
  }
  if (burst.has(origin)) reasons.push(`one of ≥ ${BURST_MIN_ORIGINS} distinct origins first seen within ${BURST_SPAN_MS / 60_000} minutes and never again (a scan)`);
  if (totals.allowed === 0 && totals.rejected > 0) reasons.push(`only ever rejected by the policy in force (${totals.rejected} request(s), none allowed): no working page depends on it`);
  return reasons;
}

/** Reserved or undelegated top-level domains and the prober's own subdomain labels. */
function hostShape(host: string): string[] {
  const out: string[] = [];
  const info = parseHost(host, { allowPrivateDomains: true });
  if (!info.isIp && host !== 'localhost' && info.isIcann !== true && info.isPrivate !== true) {
    out.push(`.${info.publicSuffix ?? host} is not a delegated top-level domain (reserved like .invalid, .test, .example, or unknown): no real site is served from it`);
  }
  if (PROBE_PREFIXES.some((prefix) => host.startsWith(prefix)) || /^cors[-_]?probe/.test(host)) out.push('a subdomain the cors-sentinel prober sends (the prober\'s subdomain_trusted class)');
  return out;
}

/** A host that embeds a trusted domain without being under it, or whose registrable domain is a near miss. */
function lookalike(host: string, trust: Trust): string[] {
  const own = parseHost(host, { allowPrivateDomains: true }).domain ?? host;
  for (const d of trust.domains) {
    if (host === d || host.endsWith(`.${d}`)) continue;
    if (host.includes(`${d}.`)) return [`embeds the trusted domain ${d} as a prefix of another domain (the prober's post_domain / prefix_match classes)`];
    if (host.endsWith(d)) return [`ends with the trusted domain ${d} without a dot before it (the prober's suffix_match / pre_domain / unescaped_dot classes)`];
    if (d.length >= LOOKALIKE_MIN_LENGTH && own !== d && withinEdits(own, d, LOOKALIKE_MAX_EDITS)) return [`a look-alike of the trusted domain ${d} (${own}: within ${LOOKALIKE_MAX_EDITS} character edits; the prober's substring_match class)`];
  }
  return [];
}

/** Whether the Levenshtein distance of a and b is ≤ max (banded, so cheap for unrelated names). */
export function withinEdits(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return false;
    prev = row;
  }
  return (prev[b.length] as number) <= max;
}

/**
 * The origins of scan bursts: ≥ BURST_MIN_ORIGINS origins, each seen on a single day, first seen within
 * BURST_SPAN_MS of each other. Origins seen on two or more days are never part of a burst.
 */
export function burstOrigins(view: EvidenceView): Set<string> {
  const once: number[] = [];
  for (let o = 0; o < view.originCount; o++) if (view.daysOf(o).length <= 1) once.push(o);
  once.sort((a, b) => view.firstSeen(a) - view.firstSeen(b)); // stable: origins first seen together stay in the order met
  const out = new Set<string>();
  let start = 0;
  for (let end = 0; end < once.length; end++) {
    while (view.firstSeen(once[end] as number) - view.firstSeen(once[start] as number) > BURST_SPAN_MS) start++;
    if (end - start + 1 >= BURST_MIN_ORIGINS) for (let i = start; i <= end; i++) out.add(view.originOf(once[i] as number));
  }
  return out;
}
