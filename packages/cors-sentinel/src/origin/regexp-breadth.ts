/**
 * How far an origin RegExp reaches, found at start-up the way a scanner would: take origins the
 * pattern matches, mutate them (a dot replaced, a label appended, another TLD, another registrable
 * domain, the special characters browsers accept in host names) and see which mutations it still
 * matches. A mutation that lands on someone else's registrable domain is a site an attacker can buy.
 */
import RandExp from 'randexp';
import { getDomain, getPublicSuffix } from 'tldts';
import { parseRequestOrigin, type ParsedOrigin } from './parse';

export type BreadthKind =
  /** `app.example.com` → `appxexample.com`: an unescaped dot. */
  | 'unescaped_dot'
  /** `app.example.com` → `app.example.com.probe.net`: the pattern does not end where the host does. */
  | 'appended_label'
  /** `app.example.com` → `app.example.net`: the TLD is not fixed. */
  | 'other_tld'
  /** `app.example.com` → `app.example.com_.probe.net`: special host characters pass. */
  | 'special_character'
  /** `abc.com` → `zqprobe.com`: every registrable domain under a top-level domain. */
  | 'any_domain_under_tld'
  /** `abc.github.io` → `zqprobe.github.io`: every site under a public suffix anyone can register under. */
  | 'any_domain_under_public_suffix';

export interface BreadthFinding {
  readonly kind: BreadthKind;
  /** An origin the pattern grants that nobody listed. */
  readonly example: string;
}

const PROBE_LABEL = 'zqprobe';
/** Hosts our request parser accepts (e.g. a label ending in "-") count too: judge them, do not skip them. */
const TLD_OPTIONS = { allowPrivateDomains: true, validateHostname: false } as const;
const PROBE_DOMAIN = 'cors-probe.net';
const OTHER_TLDS = ['net', 'org', 'io', 'co', 'evil'];
/** Accepted in host names by at least one browser and by our request parser. */
const SPECIAL_HOST_CHARACTERS = ['_', '-'];
const SAMPLES_WANTED = 4;
const ATTEMPTS = 40;

export interface Samples {
  /** A few origins the pattern matches, to mutate. */
  readonly origins: readonly ParsedOrigin[];
  /** The registrable domains of every origin generated from the pattern: what its author wrote down. */
  readonly domains: ReadonlySet<string>;
}

/** Origins the pattern matches, generated deterministically (seeded by the pattern) from its structure. */
export function sampleOrigins(regexp: RegExp, test: (origin: string) => boolean): Samples {
  let seed = 0;
  for (const c of String(regexp)) seed = (Math.imul(seed, 31) + c.charCodeAt(0)) | 0;
  const random = (): number => {
    // mulberry32: a tiny seeded PRNG, so that the same configuration always gets the same verdict.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let generator: RandExp;
  try {
    generator = new RandExp(new RegExp(literalDots(regexp.source), regexp.flags.replace(/[gy]/g, '')));
  } catch {
    return { origins: [], domains: new Set() };
  }
  generator.max = 3;
  // Classes draw from what a host name holds (letters, digits, "-"): host-like samples.
  generator.defaultRange.subtract(32, 126);
  generator.defaultRange.add(97, 122);
  generator.defaultRange.add(48, 57);
  generator.defaultRange.add(45);
  generator.randInt = (from, to) => from + Math.floor(random() * (to - from + 1));
  const seen = new Map<string, ParsedOrigin>();
  const domains = new Set<string>();
  for (let i = 0; i < ATTEMPTS; i++) {
    let candidate: string;
    try {
      candidate = generator.gen();
    } catch {
      break; // a construct the generator cannot expand: no samples, and the caller says so
    }
    const parsed = parseRequestOrigin(candidate);
    if (!parsed || parsed.origin !== candidate || !parsed.host.includes('.') || !test(candidate)) continue;
    if (seen.size < SAMPLES_WANTED) seen.set(candidate, parsed);
    const domain = getDomain(parsed.host, TLD_OPTIONS);
    if (domain) domains.add(domain);
  }
  return { origins: [...seen.values()], domains };
}

/**
 * The pattern as its author read it: every unescaped "." outside a class taken literally, so that
 * samples look like `app.example.com` and not `appqexampleucom` (the real pattern matches both).
 */
function literalDots(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      out += source.slice(i, i + 2);
      i++;
    } else {
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      out += c === '.' && !inClass ? '\\.' : c;
    }
  }
  return out;
}

/** The mutations of one matched origin that a pattern should not match, by the kind of mistake they reveal. */
function mutations(sample: ParsedOrigin): [BreadthKind, string][] {
  const { scheme, host, port } = sample;
  const at = (h: string): string => `${scheme}://${h}${port === '' ? '' : `:${port}`}`;
  const labels = host.split('.');
  const out: [BreadthKind, string][] = [];
  for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) {
    // Samples take "." literally, so a host with a digit or "-" in its place is never one of the author's own.
    for (const c of ['0', '-']) out.push(['unescaped_dot', at(`${host.slice(0, i)}${c}${host.slice(i + 1)}`)]);
  }
  out.push(['appended_label', at(`${host}.${PROBE_DOMAIN}`)]);
  for (const c of SPECIAL_HOST_CHARACTERS) out.push(['special_character', at(`${host}${c}.${PROBE_DOMAIN}`)]);
  for (const tld of OTHER_TLDS) out.push(['other_tld', at([...labels.slice(0, -1), tld].join('.'))]);
  const suffix = getPublicSuffix(host, TLD_OPTIONS);
  if (suffix) {
    const registrable = labels.length - suffix.split('.').length - 1;
    if (registrable >= 0) {
      const swapped = [...labels];
      swapped[registrable] = PROBE_LABEL;
      const kind: BreadthKind = suffix.includes('.') ? 'any_domain_under_public_suffix' : 'any_domain_under_tld';
      out.push([kind, at(swapped.join('.'))]);
    }
  }
  return out;
}

/**
 * What the pattern grants beyond the registrable domains of the origins it was written for.
 * Empty when no sample could be generated (see `sampleOrigins`); callers say so.
 */
export function probeBreadth(samples: Samples, test: (origin: string) => boolean): BreadthFinding[] {
  const found = new Map<BreadthKind, BreadthFinding>();
  for (const sample of samples.origins) {
    for (const [kind, origin] of mutations(sample)) {
      if (found.has(kind)) continue;
      const parsed = parseRequestOrigin(origin);
      if (!parsed || !test(parsed.origin)) continue;
      // A mutation on a registrable domain the pattern was written for is its business (a subdomain,
      // another listed alternative); on any other domain it is a site someone else can own.
      const domain = getDomain(parsed.host, TLD_OPTIONS);
      if (domain !== null && samples.domains.has(domain)) continue;
      found.set(kind, { kind, example: parsed.origin });
    }
  }
  return [...found.values()];
}
