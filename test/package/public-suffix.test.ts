/**
 * The library ships the public suffix list as tldts's own CommonJS bundle, copied at build time
 * (scripts/vendor-public-suffix.js), instead of depending on the 3.8 MB `tldts` package. The wildcard
 * and RegExp guards and same-site must answer exactly as tldts does: the built module must load the
 * shipped copy (never node_modules/tldts), the copy must be the locked tldts's bundle, and the answers
 * of the built module must equal tldts's for every kind of name the list distinguishes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tldts from 'tldts';
import { ROOT } from '../support/processes';

const LIBRARY = path.join(ROOT, 'packages/cors-sentinel');
const BUILT = path.join(LIBRARY, 'dist/cjs/origin/public-suffix.js');
const SHIPPED = path.join(LIBRARY, 'dist/cjs/vendor/tldts.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is CommonJS
const script = require(path.join(ROOT, 'scripts/vendor-public-suffix.js')) as { vendored(bundle: unknown): string; readBundle(): unknown };

type Lookup = (hostname: string, options?: { allowPrivateDomains?: boolean; validateHostname?: boolean }) => string | null;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the built module, as the tarball ships it
const built = require(BUILT) as { getDomain: Lookup; getPublicSuffix: Lookup };

/** ICANN and private rules, wildcards and their exceptions, IDNs, IPs, odd spellings, trailing dots. */
const NAMES = [
  'example.com', 'www.example.com', 'com', 'co.uk', 'a.b.co.uk', 'github.io', 'user.github.io', 'a.user.github.io',
  'herokuapp.com', 'app.herokuapp.com', 's3.amazonaws.com', 'bucket.s3.amazonaws.com', 'ck', 'foo.ck', 'www.ck', 'a.www.ck',
  'kawasaki.jp', 'city.kawasaki.jp', 'x.city.kawasaki.jp', 'blogspot.com', 'x.blogspot.com', 'appspot.com', 'x.appspot.com',
  'localhost', 'a.localhost', 'example', 'unknowntld', 'a.unknowntld', 'xn--p1ai', 'пример.рф', 'xn--e1afmkfd.xn--p1ai',
  'example.com.', 'github.io.', 'EXAMPLE.COM', 'User.GitHub.IO', '127.0.0.1', '[::1]', '::1', '192.168.0.1.nip.io',
  '', '.', '..', '.com', 'a..com', '-a.com', 'a_b.example.com', 'https://app.github.io/path', '*.github.io', 'a.b.c.d.e.f.g.example.co.uk',
];

describe('the public suffix list the library ships', () => {
  it('is tldts\'s CommonJS bundle of the locked version, loaded in place of the tldts package', () => {
    expect(readFileSync(SHIPPED, 'utf8')).toBe(script.vendored(script.readBundle()));
    expect(readFileSync(BUILT, 'utf8')).toMatch(/require\("\.\.\/vendor\/tldts"\)/);
    expect(readFileSync(BUILT, 'utf8')).not.toMatch(/require\((["'])tldts\1\)/);
    expect(readFileSync(SHIPPED, 'utf8')).not.toMatch(/\brequire\(/);
  });

  it.each([
    ['ICANN only', {}],
    ['private domains', { allowPrivateDomains: true }],
    ['private domains, any string', { allowPrivateDomains: true, validateHostname: false }],
  ])('answers as tldts for every kind of name (%s)', (_what, options) => {
    const answers = (lookup: { getDomain: Lookup; getPublicSuffix: Lookup }): string[] =>
      NAMES.map((name) => `${name} → suffix ${lookup.getPublicSuffix(name, options)}, domain ${lookup.getDomain(name, options)}`);
    expect(answers(built)).toEqual(answers(tldts));
  });
});
