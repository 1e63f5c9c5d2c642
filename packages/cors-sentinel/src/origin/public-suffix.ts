/**
 * The public suffix list, private domains included (as Chromium reads it), for the library's one use of
 * it: the wildcard and RegExp guards, and same-site for fetch metadata. The answers are tldts's.
 *
 * Why this module: the `tldts` package ships five builds, their source maps and sources (3.8 MB with
 * tldts-core) for one 0.2 MB self-contained CommonJS file. The library's build copies that file,
 * unchanged and with tldts's licence, to `dist/cjs/vendor/tldts.js` and points this module's `require`
 * at it (scripts/vendor-public-suffix.js), so that an application installs 0.2 MB instead of 3.8 MB and
 * gets the same answers as the `tldts` version in the repository's lock file. Tests and the type
 * checker read `tldts` itself (a devDependency); test/package/public-suffix.test.ts holds the two equal.
 * The declarations below are the library's own, so that its .d.ts files never name `tldts`.
 */
import type * as Tldts from 'tldts';

export interface PublicSuffixOptions {
  /** Count the list's private section (`github.io`, `herokuapp.com`) as suffixes. */
  readonly allowPrivateDomains?: boolean;
  /** Refuse a name that is not a valid hostname (tldts's check); false reads any string. */
  readonly validateHostname?: boolean;
}

let tldts: typeof Tldts | undefined;

/**
 * Loaded on first use: the list is 0.76 MB of heap, and a policy of exact origins without cross-origin
 * protection never needs it. A heap that size is marked on every full GC of the application (issue #32).
 */
function list(): typeof Tldts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily; the build points it at dist/cjs/vendor
  return (tldts ??= require('tldts') as typeof Tldts);
}

/** The registrable domain of `hostname` (one label above its public suffix), or null. */
export function getDomain(hostname: string, options?: PublicSuffixOptions): string | null {
  return list().getDomain(hostname, options);
}

/** The longest public suffix `hostname` ends with (its last label when the list has none), or null. */
export function getPublicSuffix(hostname: string, options?: PublicSuffixOptions): string | null {
  return list().getPublicSuffix(hostname, options);
}
