/**
 * The rules every origin RegExp obeys, wherever it comes from (static `origins`, or a `cors`-style
 * `origin(origin, callback)` answer): how far it reaches decides whether it may carry credentials,
 * exactly as for `https://*.suffix` wildcards.
 */
import { probeBreadth, sampleOrigins, type BreadthFinding } from '../origin/regexp-breadth';
import type { ConfigProblemCode } from './errors';

/** Origins no policy means to trust: a RegExp that matches one is near-universal. */
export const NEAR_UNIVERSAL_PROBES = ['https://probe.invalid', 'https://a.probe.invalid:8443', 'http://probe.invalid', 'https://xn--probe.invalid'];

export interface RegExpVerdict {
  readonly errors: readonly { readonly code: ConfigProblemCode; readonly message: string }[];
  readonly warnings: readonly string[];
}

const WHAT: Record<BreadthFinding['kind'], string> = {
  unescaped_dot: 'an unescaped "." matches any character (write \\.)',
  appended_label: 'the host may continue after the listed name (end the pattern where the host ends)',
  special_character: 'special host characters continue the host name',
  other_tld: 'the top-level domain is not fixed: the same name under another TLD belongs to someone else',
  any_domain_under_tld: 'it matches every domain under a top-level domain',
  any_domain_under_public_suffix: 'it matches every site under a public suffix, where anyone can register one',
};

export interface RegExpRuleFlags {
  readonly credentials: boolean;
  readonly allowPublicSuffix: boolean;
}

/** Probes a (linear-time compiled) pattern and says what is refused and what is only worth a warning. */
export function judgeRegExpBreadth(regexp: RegExp, test: (origin: string) => boolean, flags: RegExpRuleFlags): RegExpVerdict {
  const pattern = String(regexp);
  const errors: { code: ConfigProblemCode; message: string }[] = [];
  const warnings: string[] = [];
  const universal = NEAR_UNIVERSAL_PROBES.find((probe) => test(probe));
  if (universal !== undefined && flags.credentials) {
    errors.push({ code: 'wildcard_too_broad', message: `${pattern} matches origins nobody listed (such as ${universal}); with credentials that lets any site read users' data` });
    return { errors, warnings };
  }
  const samples = sampleOrigins(regexp, test);
  if (samples.origins.length === 0) {
    if (universal === undefined) warnings.push(`${pattern}: no origin it matches could be generated, so its breadth was not probed; prefer exact origins or https://*.example.com`);
    return { errors, warnings };
  }
  for (const finding of probeBreadth(samples, test)) {
    const text = `${pattern} also grants ${finding.example}: ${WHAT[finding.kind]}`;
    if (finding.kind === 'any_domain_under_tld') {
      errors.push({ code: 'wildcard_too_broad', message: text });
    } else if (finding.kind === 'any_domain_under_public_suffix') {
      if (flags.credentials && !flags.allowPublicSuffix) {
        errors.push({ code: 'credentials_with_public_suffix_wildcard', message: `${text}; set dangerouslyAllowPublicSuffixWildcards if you really mean it` });
      } else warnings.push(text);
    } else if (flags.credentials) {
      errors.push({ code: 'regexp_too_broad', message: `${text}; with credentials that site could read users' data` });
    } else warnings.push(text);
  }
  return { errors, warnings };
}
