/**
 * RegExp origins are proven, not sampled (issue #23 item 5): a generated corpus of broad, narrow and
 * look-alike patterns, judged by the automaton proof (origin/regexp-reach.ts) through the policy
 * compiler. Broad ones are refused with credentials and warned about without; narrow ones compile;
 * and, as a sanity check of the proof (not the proof itself), no generated origin outside an accepted
 * pattern's own domains is matched by it.
 */
import fc from 'fast-check';
import { getDomain } from 'tldts';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError, type ConfigProblem } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { analyseReach, namedHosts } from '../../packages/cors-sentinel/src/origin/regexp-reach';
import { isAnchored, isStartAnchored, literalTexts, parseRegExp } from '../../packages/cors-sentinel/src/origin/regexp-source';

const SEED = 20261206;

function judged(options: CorsSentinelOptions): { problems: readonly ConfigProblem[]; warnings: readonly string[] } {
  try {
    const policy = compilePolicy(options);
    return { problems: [], warnings: policy.warnings.map((w) => w.message) };
  } catch (err) {
    if (err instanceof CorsConfigError) return { problems: err.problems, warnings: [] };
    throw err;
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const label = fc.constantFrom('app', 'api', 'admin', 'pr-7', 'shop');
const site = fc.record({ name: fc.constantFrom('example', 'acme', 'globex'), tld: fc.constantFrom('com', 'net', 'io', 'co.uk') });
type Site = { name: string; tld: string };
const domainOf = (s: Site): string => `${s.name}.${s.tld}`;

/** Patterns confined to their site: what operators mean by "our preview and app hosts". */
const narrow = fc.tuple(label, label, site, fc.integer({ min: 0, max: 7 })).map(([a, b, s, shape]) => {
  const d = escape(domainOf(s));
  const source = [
    `^https:\\/\\/${a}\\.${d}$`,
    `^https:\\/\\/pr-\\d+\\.preview\\.${d}$`,
    `^https:\\/\\/[a-z0-9-]+\\.${d}$`,
    `^https:\\/\\/(${a}|${b})\\.${d}(:\\d+)?$`,
    `^https:\\/\\/([a-z0-9-]+\\.)*${d}$`,
    `^https:\\/\\/(www\\.)?${d}$`,
    // A class that holds "." but only left of "\.<domain>": every host it makes is a subdomain.
    `^https:\\/\\/[a-z.]+\\.${d}$`,
    `^https:\\/\\/.+\\.${d}$`,
  ][shape] as string;
  return { regexp: new RegExp(source, shape === 3 ? 'i' : ''), domains: [domainOf(s)] };
});

/** Patterns that reach other people's sites, each the way operators get them wrong. */
const broad = fc.tuple(label, site, fc.integer({ min: 0, max: 11 })).map(([a, s, shape]) => {
  const name = escape(s.name);
  const tld = escape(s.tld);
  const d = `${name}\\.${tld}`;
  return new RegExp([
    `^https:\\/\\/.+\\.(com|net|io)$`, // an alternation of TLDs
    `^https:\\/\\/.*${d}$`, // the label before the domain not anchored: evilexample.com
    `^https:\\/\\/${a}.${d}$`, // an unescaped dot
    `^https:\\/\\/${a}\\.${name}.${tld}$`, // an unescaped dot before the TLD
    `^https:\\/\\/${a}\\.${name}\\.[a-z]+$`, // any TLD
    `^https:\\/\\/${a}\\.${d}[^/]*$`, // an open end
    `^https:\\/\\/${a}\\.${d}.*$`,
    `^https:\\/\\/[^/]+$`,
    `^https:\\/\\/[a-z.]+${d}$`, // a class that swallows dots, without a dot before the domain
    `^https:\\/\\/${a}(\\.${name})?\\.${tld}$`, // an optional group that changes the domain (app.com)
    `^https:\\/\\/${a}\\.${d}(\\.[a-z]+)?$`, // an optional appended label
    `^https?:\\/\\/.*$`,
  ][shape] as string);
});

/** Origins near a site: the site itself and the scanner mutations of it (look-alikes). */
const originNear = (s: Site) =>
  fc
    .record({
      sub: fc.constantFrom('', 'app.', 'pr-42.preview.', 'a.b.', 'x.', 'www.'),
      name: fc.constantFrom(s.name, `evil${s.name}`, `${s.name}-evil`, 'attacker', `${s.name}x`),
      sep: fc.constantFrom('.', '.', '-', 'x', '0', '_'),
      tld: fc.constantFrom(s.tld, 'com', 'net', 'evil', 'co.uk', 'io'),
      tail: fc.constantFrom('', '', '.attacker.net', ':8443', '.'),
      scheme: fc.constantFrom('https', 'https', 'http'),
    })
    .map((o) => `${o.scheme}://${o.sub}${o.name}${o.sep}${o.tld}${o.tail}`);

describe('the three patterns of the issue are refused with credentials, naming what they grant', () => {
  it.each([
    [/^https:\/\/.+\.(com|net|io)$/, 'wildcard_too_broad', 'https://attacker.io'],
    [/^https:\/\/.*\.github\.io$/, 'credentials_with_public_suffix_wildcard', 'https://attacker.github.io'],
    [/^https:\/\/.*example\.com$/, 'regexp_too_broad', 'https://attackerexample.com'],
  ])('%s → %s (%s)', (regexp, code, example) => {
    const { problems } = judged({ origins: [regexp], credentials: true });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'origins', code });
    expect(problems[0]!.message).toContain(example);
    // The fix is in the message.
    expect(problems[0]!.message).toMatch(/list (the exact origins|your own sites)/);
  });

  it('without credentials the look-alike and public-suffix patterns compile with a warning naming the widest example', () => {
    expect(judged({ origins: [/^https:\/\/.*example\.com$/] }).warnings.join('\n')).toContain('https://attackerexample.com');
    expect(judged({ origins: [/^https:\/\/.*\.github\.io$/] }).warnings.join('\n')).toContain('https://attacker.github.io');
    // Every domain under a TLD is refused either way, as https://*.com is.
    expect(judged({ origins: [/^https:\/\/.+\.(com|net|io)$/] }).problems.map((p) => p.code)).toEqual(['wildcard_too_broad']);
  });

  it('dangerouslyAllowPublicSuffixWildcards turns the public-suffix refusal into a warning, and nothing broader', () => {
    const opt = { credentials: true, dangerouslyAllowPublicSuffixWildcards: true };
    expect(judged({ origins: [/^https:\/\/[a-z0-9-]+\.github\.io$/], ...opt }).problems).toEqual([]);
    expect(judged({ origins: [/^https:\/\/.*github\.io$/], ...opt }).problems.map((p) => p.code)).toEqual(['regexp_too_broad']);
  });
});

describe('a generated corpus (fast-check, seeded)', () => {
  it('refuses every broad pattern with credentials and warns about it without', () => {
    fc.assert(
      fc.property(broad, (regexp) => {
        const withCredentials = judged({ origins: [regexp], credentials: true });
        expect(withCredentials.problems.map((p) => p.code)).toEqual([expect.stringMatching(/^(regexp_too_broad|wildcard_too_broad)$/)]);
        expect(withCredentials.problems[0]!.message).toMatch(/also grants https?:\/\//);
        const without = judged({ origins: [regexp] });
        if (without.problems.length === 0) expect(without.warnings.join('\n')).toMatch(/also grants https?:\/\//);
        else expect(without.problems.map((p) => p.code)).toEqual(['wildcard_too_broad']);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('accepts every narrow pattern with credentials, and none of them matches a generated origin outside its site', () => {
    fc.assert(
      fc.property(narrow.chain((p) => fc.tuple(fc.constant(p), fc.array(originNear({ name: p.domains[0]!.split('.')[0]!, tld: p.domains[0]!.split('.').slice(1).join('.') }), { minLength: 20, maxLength: 40 }))), ([p, origins]) => {
        expect(judged({ origins: [p.regexp], credentials: true })).toEqual({ problems: [], warnings: [] });
        for (const origin of origins) {
          if (!p.regexp.test(origin)) continue;
          const host = new URL(origin).hostname.replace(/\.$/, '');
          expect(p.domains).toContain(getDomain(host, { allowPrivateDomains: true }));
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('for any pattern the proof accepts, no look-alike origin outside the domains it names is matched', () => {
    const anyPattern = fc.oneof(narrow.map((p) => p.regexp), broad);
    fc.assert(
      fc.property(anyPattern, site, fc.array(fc.tuple(site, fc.nat()), { minLength: 10, maxLength: 20 }), (regexp, near, picks) => {
        if (analyseReach(regexp).kind !== 'confined') return;
        const parsed = parseRegExp(regexp);
        if (!parsed.ok) throw new Error(parsed.message);
        const named = namedHosts(literalTexts(parsed.ast)).domains;
        const origins = fc.sample(fc.oneof(originNear(near), ...picks.map(([s]) => originNear(s))), { seed: picks[0]?.[1] ?? 1, numRuns: 40 });
        for (const origin of origins) {
          if (!regexp.test(origin)) continue;
          expect(named).toContain(getDomain(new URL(origin).hostname.replace(/\.$/, ''), { allowPrivateDomains: true }));
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('the proof fails closed', () => {
  it('a pattern whose automaton exceeds the budget is refused with credentials and warned about without', () => {
    const huge = /^https:\/\/[a-z]{1,999}[0-9]{1,999}[a-z]{1,999}[0-9]{1,999}[a-z]{1,999}[0-9]{1,999}\.example\.com$/;
    const reach = analyseReach(huge);
    expect(reach.kind).toBe('undecided');
    expect(judged({ origins: [huge], credentials: true }).problems.map((p) => p.code)).toEqual(['regexp_undecidable']);
    expect(judged({ origins: [huge] }).warnings.join('\n')).toMatch(/could not be proven/);
  });

  it('a word boundary the automaton cannot express is undecided, never thrown', () => {
    expect(analyseReach(/^https:\/\/\w{1,3}\.example\.com\b$/).kind).toBe('undecided');
  });

  it('loopback and exact IPv4 hosts are confined; an open port is not a breadth', () => {
    for (const regexp of [/^http:\/\/localhost(:\d+)?$/, /^http:\/\/127\.0\.0\.1:\d{4}$/, /^https:\/\/app\.example\.com(:\d+)?$/]) {
      expect(analyseReach(regexp)).toEqual({ kind: 'confined' });
    }
  });
});

describe('RegExp sources are read by regexpp, not by scanning their text (issue #27)', () => {
  it('anchoring is judged on the parsed alternatives', () => {
    expect(isAnchored(/^https:\/\/a\.com$|^https:\/\/b\.com$/)).toBe(true);
    expect(isAnchored(/^https:\/\/a\.com$|evil/)).toBe(false);
    expect(isAnchored(/^https:\/\/a\.com\$/)).toBe(false); // an escaped "$" is a character
    expect(isAnchored(/^https:\/\/[|]a\.com$/)).toBe(true); // "|" in a class is not an alternative
    expect(isAnchored(/^(https:\/\/a\.com|evil)$/)).toBe(true);
    expect(isStartAnchored(/^\/t\/([^/]+)\//)).toBe(true);
    expect(isStartAnchored(/\/t\/([^/]+)\//)).toBe(false);
  });

  it('literal texts expand small alternations and spell optional parts present', () => {
    const parsed = parseRegExp(/^https:\/\/(app|admin)\.example\.(com|net)(:\d+)?$/);
    expect(parsed.ok && literalTexts(parsed.ast).sort()).toEqual(
      ['https://admin.example.com', 'https://admin.example.net', 'https://app.example.com', 'https://app.example.net', ':'].sort(),
    );
    const optional = parseRegExp(/^https:\/\/app(\.example)?\.com$/);
    expect(optional.ok && namedHosts(literalTexts(optional.ast)).domains).toEqual(['example.com']);
  });
});
