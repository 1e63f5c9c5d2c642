/**
 * How far an origin RegExp reaches, proven on its language rather than guessed from samples.
 *
 * The pattern is parsed (regexpp) and turned into a finite automaton (refa). Its language is
 * intersected with the origins a browser can send (`scheme://host[:port]`, lower-case, valid host
 * names) and with the complement of "origins whose host lies under a registrable domain the pattern
 * names literally" (public-suffix list, via tldts, as the wildcard guard uses). The pattern is
 * confined exactly when that intersection is empty; otherwise the intersection holds every origin
 * it grants beyond its author's domains, and its shortest readable word is the example we show.
 * An analysis that exceeds its budget, or meets a construct the automaton cannot express, is
 * undecided: callers refuse it with credentials and warn without.
 */
import { isIPv4 } from 'node:net';
import type { AST } from '@eslint-community/regexpp';
import type { DFA, JS, NFA } from 'refa';
import { getDomain, getPublicSuffix } from './public-suffix';
import { isLoopbackHost, parseRequestOrigin } from './parse';
import { literalTexts, parseRegExp } from './regexp-source';

type Refa = typeof import('refa');
let refaModule: Refa | undefined;
/**
 * refa, loaded when a RegExp is first analysed: it holds about 5 MB of heap once loaded, which a policy
 * without a RegExp origin would otherwise carry for the life of the process (with regexpp loaded the
 * same way, the heap after start-up went from 17.0 to 11.5 MB; docs/BENCHMARKS.md, issue #32).
 */
function refa(): Refa {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (refaModule ??= require('refa') as Refa);
}

export type Reach =
  /** Every origin it grants lies under a registrable domain (or loopback host) it names. */
  | { readonly kind: 'confined' }
  /** Beyond its domains only into public suffixes it names (`*.github.io`): sites anyone can register. */
  | { readonly kind: 'public_suffix'; readonly example: string }
  /** Into every registrable domain under a top-level domain it names (`[a-z]+\.com`). */
  | { readonly kind: 'any_domain_under_tld'; readonly example: string }
  /** Into domains it never names (`.*`, an unescaped dot, an unanchored label). */
  | { readonly kind: 'other_domains'; readonly example: string }
  | { readonly kind: 'undecided'; readonly why: string };

/** What the pattern names literally, by how far each name reaches. */
export interface NamedHosts {
  /** Registrable domains: the domain and every host under it are its author's. */
  readonly domains: readonly string[];
  /** Loopback hosts and IPv4 addresses, which only match themselves (`localhost` also its subdomains). */
  readonly exactHosts: readonly string[];
  /** Public suffixes of two or more labels or in the private section (`github.io`, `co.uk`). */
  readonly publicSuffixes: readonly string[];
  /** One-label public suffixes (`com`, `io`). */
  readonly topLevelDomains: readonly string[];
}

const TLD_OPTIONS = { allowPrivateDomains: true, validateHostname: false } as const;

/** Automaton budget: a pattern whose automaton needs more states is undecided (fail closed). */
export const MAX_PATTERN_STATES = 5_000;
export const MAX_PRODUCT_STATES = 50_000;

/** Splits literal texts into host-like tokens and sorts the names they make by reach. */
export function namedHosts(texts: readonly string[]): NamedHosts {
  const domains = new Set<string>();
  const exactHosts = new Set<string>();
  const publicSuffixes = new Set<string>();
  const topLevelDomains = new Set<string>();
  for (const text of texts) {
    for (const raw of text.toLowerCase().split(/[^a-z0-9._-]+/)) {
      const token = raw.replace(/^\.+|\.+$/g, '');
      if (token === '') continue;
      if (isIPv4(token) || isLoopbackHost(token)) {
        exactHosts.add(token);
        continue;
      }
      const domain = getDomain(token, TLD_OPTIONS);
      // A wildcard rule right under the domain (`*.example`) hands its subdomains to others: not the author's.
      if (domain !== null && getDomain(`zz.${domain}`, TLD_OPTIONS) === domain) domains.add(domain);
      else if (getPublicSuffix(token, TLD_OPTIONS) === token) (token.includes('.') ? publicSuffixes : topLevelDomains).add(token);
    }
  }
  return { domains: [...domains], exactHosts: [...exactHosts], publicSuffixes: [...publicSuffixes], topLevelDomains: [...topLevelDomains] };
}

const LABEL = '[a-z0-9_-]+';
const SCHEME = '[a-z][a-z0-9+.-]*';
const PORT = '(?::[0-9]{1,5})?';
/** Every serialised origin our request parser accepts (a little more: ports above 65535; that only adds words). */
const ORIGINS = `^${SCHEME}:\\/\\/(?:(?:${LABEL}\\.)*${LABEL}\\.?|\\[[0-9a-f:.]+\\])${PORT}$|^file:\\/\\/$`;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** Origins whose host is one of `subtrees` or under it, or one of `exact` (`localhost` counts as a subtree). */
function confinedSource(subtrees: readonly string[], exact: readonly string[]): string {
  const trees = [...subtrees, ...exact.filter((h) => h === 'localhost')];
  const hosts = [
    ...(trees.length > 0 ? [`(?:${LABEL}\\.)*(?:${trees.map(escape).join('|')})`] : []),
    ...exact.filter((h) => h !== 'localhost').map(escape),
  ];
  return hosts.length === 0 ? '[]' : `^${SCHEME}:\\/\\/(?:${hosts.join('|')})\\.?${PORT}$`;
}

function toNfa(literal: JS.Literal | AST.RegExpLiteral, limit: number): NFA {
  const r = refa();
  const parser = 'pattern' in literal ? r.JS.Parser.fromAst(literal) : r.JS.Parser.fromLiteral(literal);
  const parsed = parser.parse({ backreferences: 'throw', assertions: 'parse', maxNodes: limit });
  // Every alternative is anchored (checked before): the edge assertions say "the whole origin", which
  // is what an automaton's language means. Assertions left inside make the pattern undecided.
  let expression = r.transform(r.Transformers.patternEdgeAssertions({ remove: true }), parsed.expression);
  expression = r.transform(r.combineTransformers([r.Transformers.applyAssertions(), r.Transformers.removeUnnecessaryAssertions()]), expression);
  return r.NFA.fromRegex(expression, { maxCharacter: parsed.maxCharacter }, { assertions: 'throw', unknowns: 'throw' }, new r.NFA.LimitedNodeFactory(limit));
}

function dfaOf(source: string, unicode: boolean): DFA {
  const dfa = refa().DFA.fromFA(toNfa({ source, flags: unicode ? 'u' : '' }, MAX_PATTERN_STATES));
  dfa.minimize();
  return dfa;
}

/** Automata that depend only on the alphabet and the named hosts: patterns of one policy share them. */
const shared = new Map<string, DFA | NFA>();
const MAX_SHARED = 64;

function cached<T extends DFA | NFA>(key: string, build: () => T): T {
  const known = shared.get(key);
  if (known !== undefined) return known as T;
  const built = build();
  if (shared.size >= MAX_SHARED) shared.clear();
  shared.set(key, built);
  return built;
}

/** Origins a browser can send whose host is not among `subtrees`/`exact`, as a DFA over the pattern's alphabet. */
function outsideOf(subtrees: readonly string[], exact: readonly string[], unicode: boolean): DFA {
  const source = confinedSource(subtrees, exact);
  return cached(`outside ${unicode} ${source}`, () => {
    const origins = cached(`origins ${unicode}`, () => dfaOf(ORIGINS, unicode));
    const confined = dfaOf(source, unicode);
    confined.complement();
    const outside = refa().DFA.fromIntersection(origins, confined, new (refa().DFA.LimitedNodeFactory)(MAX_PRODUCT_STATES));
    outside.minimize();
    return outside;
  });
}

/**
 * What makes an example convincing, best first: an attacker's own name on a common TLD
 * (`https://attackerexample.com`), his name anywhere, a host on a common TLD (`https://appxexample.com`).
 */
const PREFERRED_EXAMPLES = ['^.*attacker.*\\.(?:com|net|org|io)(?::[0-9]+)?$', '^.*attacker.*$', '^.*\\.(?:com|net|org|io)(?::[0-9]+)?$'];

/** The shortest readable origin in the language, in the most convincing shape it allows. */
function exampleOf(granted: NFA, unicode: boolean): string {
  let source = granted;
  for (const preferred of PREFERRED_EXAMPLES) {
    const shape = cached(`example ${unicode} ${preferred}`, () => toNfa({ source: preferred, flags: unicode ? 'u' : '' }, MAX_PATTERN_STATES));
    const shaped = refa().NFA.fromIntersection(granted, shape, new (refa().NFA.LimitedNodeFactory)(MAX_PRODUCT_STATES));
    if (!shaped.isEmpty) {
      source = shaped;
      break;
    }
  }
  const word = shortestWord(source);
  return unicode ? refa().Words.fromUnicodeToString(word) : refa().Words.fromUTF16ToString(word);
}

/**
 * A shortest accepted word, by breadth-first search over states (each visited once, so linear in the
 * automaton; enumerating word sets instead walks every path and explodes on `.*`-rich patterns).
 */
function shortestWord(nfa: NFA): number[] {
  const previous = new Map<NFA.Node, { readonly from: NFA.Node; readonly char: number }>();
  const queue: NFA.Node[] = [nfa.initial];
  const seen = new Set<NFA.Node>(queue);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    if (nfa.finals.has(node)) {
      const word: number[] = [];
      for (let at = node; at !== nfa.initial; ) {
        const step = previous.get(at)!;
        word.push(step.char);
        at = step.from;
      }
      return word.reverse();
    }
    for (const [to, chars] of node.out) {
      if (seen.has(to)) continue;
      seen.add(to);
      previous.set(to, { from: node, char: refa().Words.pickMostReadableCharacter(chars) ?? chars.ranges[0]!.min });
      queue.push(to);
    }
  }
  return [];
}

/** The origins `pattern` grants outside `subtrees`/`exact`, or undefined when there are none. */
function grantedOutside(pattern: NFA, subtrees: readonly string[], exact: readonly string[], unicode: boolean): NFA | undefined {
  const outside = refa().NFA.fromIntersection(pattern, outsideOf(subtrees, exact, unicode), new (refa().NFA.LimitedNodeFactory)(MAX_PRODUCT_STATES));
  return outside.isEmpty ? undefined : outside;
}

/** Characters of a serialised origin: a class narrowed to these decides which origin a word can be. */
const ORIGIN_CHARS = /^[a-z0-9.:/\[\]+_-]$/;
const MAX_LISTED_WORDS = 256;

/**
 * The cheap proof for a pattern with a few literal spellings (`^https:\/\/(app|admin)\.example\.com$`,
 * or one a callback builds per origin): list its words and check each host. False means "not proven
 * this way", and the automaton decides.
 */
function provenByListing(pattern: NFA, names: NamedHosts): boolean {
  if (!pattern.isFinite) return false;
  let listed = 0;
  for (const wordSet of pattern.wordSets()) {
    if (++listed > MAX_LISTED_WORDS) return false;
    let word = '';
    for (const chars of wordSet) {
      const candidates: string[] = [];
      for (const range of chars.ranges) {
        for (let c = range.min; c <= range.max && candidates.length < 2; c++) {
          if (ORIGIN_CHARS.test(String.fromCharCode(c))) candidates.push(String.fromCharCode(c));
        }
      }
      if (candidates.length === 0) {
        word = '';
        break; // no origin spells this word
      }
      if (candidates.length > 1) return false;
      word += candidates[0];
    }
    const parsed = word === '' ? undefined : parseRequestOrigin(word);
    if (parsed === undefined || parsed.origin !== word) continue; // never tested: origins arrive normalised
    if (!isNamedHost(parsed.host.replace(/\.$/, ''), names)) return false;
  }
  return true;
}

function isNamedHost(host: string, names: NamedHosts): boolean {
  if (names.exactHosts.includes(host)) return true;
  if (host === 'localhost' || host.endsWith('.localhost')) return names.exactHosts.includes('localhost');
  return names.domains.some((d) => host === d || host.endsWith(`.${d}`));
}

/**
 * Proves how far an anchored origin RegExp reaches. The `g`, `y` and `d` flags change nothing about
 * the language; `m` changes nothing on an origin, which holds no line break.
 */
export function analyseReach(regexp: RegExp): Reach {
  const parsed = parseRegExp(new RegExp(regexp.source, regexp.flags.replace(/[gymd]/g, '')));
  if (!parsed.ok) return { kind: 'undecided', why: parsed.message };
  const names = namedHosts(literalTexts(parsed.ast));
  const unicode = parsed.ast.flags.unicode || parsed.ast.flags.unicodeSets;
  try {
    const pattern = toNfa(parsed.ast, MAX_PATTERN_STATES);
    if (provenByListing(pattern, names)) return { kind: 'confined' };
    const beyondDomains = grantedOutside(pattern, names.domains, names.exactHosts, unicode);
    if (beyondDomains === undefined) return { kind: 'confined' };
    const withSuffixes = [...names.domains, ...names.publicSuffixes];
    const beyondSuffixes = grantedOutside(pattern, withSuffixes, names.exactHosts, unicode);
    if (beyondSuffixes === undefined) return { kind: 'public_suffix', example: exampleOf(beyondDomains, unicode) };
    // The example may lie under a TLD the pattern names (`appxexample.com`): still a domain it never names.
    const example = exampleOf(beyondSuffixes, unicode);
    const anywhere = grantedOutside(pattern, [...withSuffixes, ...names.topLevelDomains], names.exactHosts, unicode);
    return { kind: anywhere === undefined ? 'any_domain_under_tld' : 'other_domains', example };
  } catch (err) {
    if (err instanceof refa().TooManyNodesError) {
      return { kind: 'undecided', why: `its automaton exceeds the analysis budget (${MAX_PATTERN_STATES} states per pattern, ${MAX_PRODUCT_STATES} per intersection)` };
    }
    return { kind: 'undecided', why: `its language cannot be analysed (${err instanceof Error ? err.message : String(err)})` };
  }
}
