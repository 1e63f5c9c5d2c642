/**
 * Properties over RegExp and callback origins: whatever pattern an operator writes (mistakes
 * included) and whatever Origin arrives, nothing is granted outside what the policy means; with
 * credentials, a pattern either compiles to grant only its author's registrable domains or is refused.
 */
import fc from 'fast-check';
import { getDomain } from 'tldts';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsOriginCallback, CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Sentinel } from '../../packages/cors-sentinel/src/sentinel';
import { testSentinel } from '../support/sentinel';

const label = fc.constantFrom('app', 'api', 'shop', 'pr-7', 'a1');
const domain = fc.constantFrom('example', 'acme', 'globex');
const tld = fc.constantFrom('com', 'net', 'co.uk', 'io');

/** A pattern written the way operators write them, with the usual mistakes as options. */
const patternArb = fc.record({
  label,
  domain,
  tld,
  shape: fc.constantFrom('exact', 'numbered', 'subdomains', 'port'),
  dot: fc.constantFrom('\\.', '\\.', '.'), // an unescaped dot, one time in three
  openTld: fc.boolean(), // [a-z]+ instead of the TLD
  tail: fc.constantFrom('', '', '', '.*', '[^/]*'),
});
type Pattern = { label: string; domain: string; tld: string; shape: string; dot: string; openTld: boolean; tail: string };

function build(p: Pattern): { regexp: RegExp; intended: string } {
  const d = p.dot;
  const tldSource = p.openTld ? '[a-z]+' : p.tld.replace('.', '\\.');
  const host = `${p.domain}${d}${tldSource}`;
  const body = {
    exact: `${p.label}${d}${host}`,
    numbered: `pr-\\d{1,4}${d}${host}`,
    subdomains: `([a-z0-9-]+\\.)*${host}`,
    port: `${p.label}${d}${host}(:\\d{2,5})?`,
  }[p.shape] as string;
  return { regexp: new RegExp(`^https:\\/\\/${body}${p.tail}$`), intended: `${p.domain}.${p.tld}` };
}

/** Origins near what the pattern grants, and the classic scanner mutations of them. */
const originFor = (p: Pattern) =>
  fc
    .record({
      sub: fc.constantFrom(p.label, 'pr-42', 'x', 'a.b'),
      sep: fc.constantFrom('.', '.', '-', '0', '_'),
      dom: fc.constantFrom(p.domain, `${p.domain}x`, 'evil', `${p.domain}-evil`),
      tld: fc.constantFrom(p.tld, 'com', 'net', 'evil', 'co.uk'),
      suffix: fc.constantFrom('', '', '.evil.net', '_.evil.net', ':8443', '.'),
      scheme: fc.constantFrom('https', 'https', 'http'),
    })
    .map((o) => `${o.scheme}://${o.sub}${o.sep}${o.dom}.${o.tld}${o.suffix}`);

function compile(options: CorsSentinelOptions): Sentinel | undefined {
  try {
    return testSentinel(options);
  } catch (err) {
    if (err instanceof CorsConfigError) return undefined;
    throw err;
  }
}

const granted = async (s: Sentinel, origin: string) => (await s.decide({ method: 'GET', path: '/', origin, hasCookie: true })).outcome === 'allowed';

describe('RegExp origin properties', () => {
  it('with credentials, a compiled pattern grants only its own registrable domain (or it is refused)', async () => {
    await fc.assert(
      fc.asyncProperty(patternArb.chain((p) => fc.tuple(fc.constant(p), fc.array(originFor(p), { minLength: 5, maxLength: 15 }))), async ([p, origins]) => {
        const { regexp, intended } = build(p);
        const s = compile({ origins: [regexp], credentials: true });
        if (s === undefined) return; // refused at start-up: nothing is granted
        try {
          for (const origin of origins) {
            if (!(await granted(s, origin))) continue;
            const host = new URL(origin).hostname;
            expect(getDomain(host, { allowPrivateDomains: true })).toBe(intended);
            expect(origin.startsWith('https://')).toBe(true);
            expect(regexp.test(origin)).toBe(true);
          }
        } finally {
          s.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('precise patterns always compile with credentials and grant exactly what V8 would', async () => {
    await fc.assert(
      fc.asyncProperty(patternArb.chain((p) => fc.tuple(fc.constant({ ...p, dot: '\\.', openTld: false, tail: '' }), fc.array(originFor(p), { maxLength: 10 }))), async ([p, origins]) => {
        const { regexp } = build(p);
        const s = compile({ origins: [regexp], credentials: true });
        expect(s).toBeDefined();
        for (const origin of origins) expect(await granted(s as Sentinel, origin)).toBe(regexp.test(origin) && origin.startsWith('https://'));
        s?.close();
      }),
      { numRuns: 100 },
    );
  });
});

describe('callback origin properties', () => {
  const LISTED = ['https://app.example.com', 'https://shop.acme.io'];
  const answerArb = fc.constantFrom<[string, (origin: string) => Parameters<Parameters<CorsOriginCallback>[1]>[1]]>(
    ['allowlist true', (o) => LISTED.includes(o)],
    ['allowlist echo', (o) => (LISTED.includes(o) ? o : false)],
    ['the list', () => LISTED],
    ['anchored RegExp', () => /^https:\/\/(app\.example\.com|shop\.acme\.io)$/],
    ['reflect all', () => true],
    ['echo all', (o) => o],
    ['star', () => '*'],
    ['unanchored', () => /example\.com/],
    ['broad RegExp', () => /^https:\/\/[a-z0-9.-]+$/],
  );
  const origins = fc.array(fc.constantFrom(...LISTED, 'https://evil.example', 'https://app.example.com.evil.net', 'https://appxexample.com', 'http://app.example.com'), { minLength: 3, maxLength: 8 });

  it('with credentials, whatever the callback answers, only listed origins are granted', async () => {
    await fc.assert(
      fc.asyncProperty(answerArb, origins, async ([, answer], requested) => {
        const s = testSentinel({ origin: (o, cb) => cb(null, answer(o ?? '')), credentials: true });
        try {
          for (const origin of requested) if (await granted(s, origin)) expect(LISTED).toContain(origin);
        } finally {
          s.close();
        }
      }),
      { numRuns: 120 },
    );
  });
});
