/**
 * The origins the prober sends, one or more per class, built from the site's origin the way Corsy,
 * CORScanner and nuclei's cors-misconfig template build theirs (docs/prober.md compares them).
 * Pure: no request is made here, and no origin below is ever contacted — they are only header values.
 */
import { getDomain } from 'tldts';
import type { OriginMutation, Reach } from './types';

export const DEFAULT_ATTACKER_DOMAIN = 'attacker.invalid';

/** Platforms where anyone can publish a page under a shared origin or subdomain (CORScanner's origins.json has more). */
export const THIRD_PARTY_ORIGINS = [
  'https://cors-probe.github.io',
  'https://codepen.io',
  'https://cdpn.io',
  'https://jsfiddle.net',
  'https://fiddle.jshell.net',
  'https://cors-probe.s3.amazonaws.com',
] as const;

/**
 * Characters some browser engines accept in host names (Chromium and Firefox: `_`; Safari many more).
 * A server that trusts `app.example.com<c>.attacker.tld` parses the host differently from the browser.
 */
const SPECIAL_CHARACTERS = ['_', '-', '`', '$', '+', '!', '~', '=', '&', "'", '(', ')', '*', ',', ';', '{', '}', '|', '^', '"'] as const;
/** Accepted in host names by every major engine, so anyone can use them. */
const ALL_BROWSER_CHARACTERS = new Set(['_', '-']);

export interface SiteParts {
  readonly scheme: 'http' | 'https';
  /** Host of the site origin, with port if any. */
  readonly host: string;
  /** Host name without port. */
  readonly hostname: string;
  /** Registrable domain of the site (the host itself for IPs and single labels). */
  readonly domain: string;
}

export function siteParts(siteOrigin: string): SiteParts {
  const u = new URL(siteOrigin);
  const scheme = u.protocol === 'https:' ? 'https' : 'http';
  const hostname = u.hostname.replace(/^\[|\]$/g, '');
  return { scheme, host: u.host, hostname, domain: getDomain(hostname) ?? hostname };
}

/** Anyone can register a name whose registrable domain differs from the site's; the site's own subdomains need control of the site. */
function reachOf(hostname: string, site: SiteParts): Reach {
  const domain = getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
  return domain === site.domain || hostname.endsWith(`.${site.domain}`) ? 'subdomain' : 'anyone';
}

export function originMutations(siteOrigin: string, attackerDomain = DEFAULT_ATTACKER_DOMAIN): OriginMutation[] {
  const site = siteParts(siteOrigin);
  const s = site.scheme;
  const a = attackerDomain;
  const out: OriginMutation[] = [];
  const add = (cls: OriginMutation['class'], host: string, reach?: Reach, scheme: string = s): void => {
    const origin = `${scheme}://${host}`;
    if (out.some((m) => m.origin === origin) || origin === siteOrigin) return;
    out.push({ class: cls, origin, reach: reach ?? reachOf(host.replace(/:\d+$/, ''), site) });
  };

  add('arbitrary_origin_reflected', a);
  out.push({ class: 'null_origin_trusted', origin: 'null', reach: 'anyone' });
  add('post_domain', `${site.hostname}.${a}`);
  add('prefix_match', `${site.domain}.${a}`);
  add('suffix_match', `cors-probe${site.domain}`);
  add('pre_domain', `cors-probe${site.hostname}`);
  if (!isIpAddress(site.hostname)) for (const label of SUBDOMAIN_LABELS) add('subdomain_trusted', `${label}.${site.domain}${site.host.slice(site.hostname.length)}`);
  if (site.domain.length > 3) add('substring_match', site.domain.slice(1));
  for (const variant of unescapedDots(site.hostname)) add('unescaped_dot', variant);
  if (s === 'https') add('http_origin_trusted', site.host, 'network', 'http');
  for (const origin of THIRD_PARTY_ORIGINS) {
    if (!out.some((m) => m.origin === origin)) out.push({ class: 'third_party_origin', origin, reach: 'anyone' });
  }
  for (const c of SPECIAL_CHARACTERS) {
    add('special_characters', `${site.hostname}${c}.${a}`, ALL_BROWSER_CHARACTERS.has(c) ? 'anyone' : 'safari');
  }
  return out;
}

/**
 * One host under the site's registrable domain per label shape that real allowlists accept, so that a
 * pattern is caught whichever shape it admits (docs/prober.md says what each one proves): letters
 * (`[a-z]+`, `\w+`, `*.example.com`), a hyphen (`[a-z0-9-]+`), digits only (`\d+`, `[a-z0-9]+`), an
 * underscore (`\w+`, `[^.]+`), two labels (`.+`, `(.*\.)?`, an `endsWith` check) and a 63-character
 * label (no length bound). The site may run none of these hosts: whoever can get one (a subdomain
 * takeover, a user-content or tenant host) reads what the pattern grants.
 */
export const SUBDOMAIN_LABELS = ['corsprobe', 'cors-probe', '1337', 'cors_probe', 'cors.probe', `corsprobe${'x'.repeat(54)}`] as const;

function isIpAddress(hostname: string): boolean {
  return /^[\d.]+$/.test(hostname) || hostname.includes(':');
}

/** The first and the last dot replaced by a letter (Corsy replaces the first, CORScanner the last). */
function unescapedDots(hostname: string): string[] {
  if (!hostname.includes('.') || /^[\d.]+$/.test(hostname)) return [];
  const first = hostname.replace('.', 'x');
  const i = hostname.lastIndexOf('.');
  const last = `${hostname.slice(0, i)}x${hostname.slice(i + 1)}`;
  return first === last ? [first] : [first, last];
}
