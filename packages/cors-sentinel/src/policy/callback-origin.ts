/**
 * The `cors` package's `origin(origin, callback)` form, held to the rules static configuration obeys:
 * a RegExp answer must be anchored and (with credentials) not broader than a listed site, `'*'`
 * never comes with credentials, and a callback that vouches (`true`, or the origin itself) for an
 * origin nobody lists — asked once, about a random `.invalid` origin — reflects every origin, which
 * needs `dangerouslyReflectAnyOrigin`. An answer that
 * breaks a rule is a resolver error: the request fails closed and `cors_resolver_*` counts it.
 */
import { compileLinear } from '../origin/linear-regexp';
import { isAnchored } from '../origin/regexp-source';
import { normaliseConfiguredOrigin } from '../origin/parse';
import type { CorsOriginCallback } from './options';
import { guardReflection, OriginRuleError, type ResolveFn } from './reflection-guard';
import { judgeRegExpBreadth } from './regexp-rules';

export interface CallbackRules {
  readonly credentials: boolean;
  readonly allowReflectAny: boolean;
  readonly allowPublicSuffix: boolean;
  /** How long the reflection probe may take (reflection-guard.ts). */
  readonly timeoutMs: number;
}

type Answer = Parameters<Parameters<CorsOriginCallback>[1]>[1];
type RegExpVerdict = { readonly test: (origin: string) => boolean } | { readonly error: string };

/** Callback RegExps are judged once per pattern; a callback that builds patterns per origin is bounded. */
const MAX_REGEXP_VERDICTS = 256;

/** Adapts `cors`'s `origin(requestOrigin, callback)` to a resolver that enforces the static rules. */
export function fromCorsCallback(fn: CorsOriginCallback, rules: CallbackRules): ResolveFn {
  const verdicts = new Map<string, RegExpVerdict>();
  return guardReflection(
    async (origin) => grants(await ask(fn, origin), origin, rules, verdicts),
    async (origin) => vouchesFor(await ask(fn, origin), origin),
    { allowReflectAny: rules.allowReflectAny, timeoutMs: rules.timeoutMs, what: 'the origin callback' },
  );
}

function ask(fn: CorsOriginCallback, origin: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    fn(origin, (err, allow) => (err ? reject(err) : resolve(allow)));
  });
}

/** Whether the answer grants `origin`; throws OriginRuleError when it breaks a rule. */
function grants(answer: Answer, origin: string, rules: CallbackRules, verdicts: Map<string, RegExpVerdict>): boolean {
  if (answer === undefined || answer === null || answer === false) return false;
  if (answer === true) return true;
  const items = Array.isArray(answer) ? answer : [answer];
  let granted = false;
  for (const item of items) {
    if (item === '*') {
      if (rules.credentials) throw new OriginRuleError('the origin callback answered "*" on a credentialed route');
      granted = true;
    } else if (typeof item === 'string') {
      granted ||= item === origin || sameOrigin(item, origin);
    } else if (item instanceof RegExp) {
      const verdict = regexpVerdict(item, rules, verdicts);
      if ('error' in verdict) throw new OriginRuleError(verdict.error);
      granted ||= verdict.test(origin);
    } else {
      throw new OriginRuleError('the origin callback answered something other than a boolean, string, RegExp or array of them');
    }
  }
  return granted;
}

function sameOrigin(configured: string, origin: string): boolean {
  const result = normaliseConfiguredOrigin(configured);
  return result.ok && result.parsed.origin === origin;
}

function regexpVerdict(regexp: RegExp, rules: CallbackRules, verdicts: Map<string, RegExpVerdict>): RegExpVerdict {
  const key = `${regexp.flags}/${regexp.source}`;
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  let verdict: RegExpVerdict;
  if (!isAnchored(regexp)) {
    verdict = { error: `the origin callback answered ${String(regexp)}, which is not anchored (^…$)` };
  } else {
    const linear = compileLinear(regexp);
    if (!linear.ok) verdict = { error: linear.message };
    else {
      const breadth = judgeRegExpBreadth(regexp, linear.regexp.test, { credentials: rules.credentials, allowPublicSuffix: rules.allowPublicSuffix });
      verdict = breadth.errors.length > 0 ? { error: `the origin callback answered ${breadth.errors[0]!.message}` } : { test: linear.regexp.test };
    }
  }
  if (verdicts.size >= MAX_REGEXP_VERDICTS) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
}

/**
 * Whether the answer vouches for this very origin (`true`, or the origin itself): said of an origin
 * nobody lists, that is reflection. `'*'` and RegExps answer for many origins and have rules of their own.
 */
function vouchesFor(answer: Answer, origin: string): boolean {
  if (answer === true) return true;
  return (Array.isArray(answer) ? answer : [answer]).some((item) => item === origin);
}
