/**
 * The rules every origin RegExp obeys, wherever it comes from (static `origins`, a policy file's
 * `{ regexp }`, a `cors`-style `origin(origin, callback)` answer, `crossOriginProtection.trustedOrigins`):
 * how far it reaches — proven on its language (origin/regexp-reach.ts), never sampled — decides
 * whether it may carry credentials, exactly as for `https://*.suffix` wildcards.
 */
import { analyseReach, type Reach } from '../origin/regexp-reach';
import { hasAnyCharacter, parseRegExp } from '../origin/regexp-source';
import type { ConfigProblemCode } from './errors';

/** Origins no policy means to trust: a RegExp that matches one is near-universal. */
export const NEAR_UNIVERSAL_PROBES = ['https://probe.invalid', 'https://a.probe.invalid:8443', 'http://probe.invalid', 'https://xn--probe.invalid'];

export interface RegExpVerdict {
  /** `example`: an origin the pattern grants beyond what it names. */
  readonly errors: readonly { readonly code: ConfigProblemCode; readonly message: string; readonly example?: string }[];
  readonly warnings: readonly string[];
}

export interface RegExpRuleFlags {
  /** Refuse anything not proven confined (credentials, or origins trusted to post with cookies). */
  readonly credentials: boolean;
  readonly allowPublicSuffix: boolean;
}

const EXACT_FIX = 'or list the exact origins';

/** The likely fix, from the shape of the pattern. */
function fixFor(regexp: RegExp): string {
  const parsed = parseRegExp(regexp);
  if (parsed.ok && hasAnyCharacter(parsed.ast)) {
    return `an unescaped "." matches any character, dots and letters included: write \\. for a dot and [a-z0-9-]+ for one label, ${EXACT_FIX}`;
  }
  return 'start each free label after a literal \\. and end it before your own domain (^https:\\/\\/[a-z0-9-]+\\.example\\.com$), ' +
    `keep classes to one label (no "." in them), end the pattern where the host ends, ${EXACT_FIX}`;
}

function reachText(pattern: string, reach: Exclude<Reach, { kind: 'confined' | 'undecided' }>): string {
  switch (reach.kind) {
    case 'public_suffix':
      return `${pattern} also grants ${reach.example}: it matches every site under a public suffix, where anyone can register one`;
    case 'any_domain_under_tld':
      return `${pattern} also grants ${reach.example}: it matches every domain under a top-level domain`;
    case 'other_domains':
      return `${pattern} also grants ${reach.example}, a site on a domain the pattern does not name`;
  }
}

/** Proves a (linear-time compiled) pattern's reach and says what is refused and what is only worth a warning. */
export function judgeRegExpBreadth(regexp: RegExp, test: (origin: string) => boolean, flags: RegExpRuleFlags): RegExpVerdict {
  const pattern = String(regexp);
  const errors: { code: ConfigProblemCode; message: string; example?: string }[] = [];
  const warnings: string[] = [];
  const reach = analyseReach(regexp);
  if (reach.kind === 'confined') return { errors, warnings };
  if (reach.kind === 'undecided') {
    const text = `${pattern}: how far it reaches could not be proven (${reach.why}); write it without word boundaries or huge repetitions, ${EXACT_FIX}`;
    if (flags.credentials) errors.push({ code: 'regexp_undecidable', message: `${text}; with credentials an unproven pattern is refused` });
    else warnings.push(text);
    return { errors, warnings };
  }
  const text = reachText(pattern, reach);
  if (reach.kind === 'any_domain_under_tld') {
    // As `https://*.com` is: nobody means every domain under a TLD, with or without credentials.
    errors.push({ code: 'wildcard_too_broad', message: `${text}; ${fixFor(regexp)}`, example: reach.example });
  } else if (reach.kind === 'public_suffix') {
    if (flags.credentials && !flags.allowPublicSuffix) {
      errors.push({ code: 'credentials_with_public_suffix_wildcard', message: `${text}; list your own sites, or set dangerouslyAllowPublicSuffixWildcards if you really mean it`, example: reach.example });
    } else warnings.push(text);
  } else if (flags.credentials) {
    const universal = NEAR_UNIVERSAL_PROBES.some((probe) => test(probe));
    errors.push({
      code: universal ? 'wildcard_too_broad' : 'regexp_too_broad',
      message: `${text}; with credentials that site could read users' data: ${fixFor(regexp)}`,
      example: reach.example,
    });
  } else warnings.push(`${text}: ${fixFor(regexp)}`);
  return { errors, warnings };
}
