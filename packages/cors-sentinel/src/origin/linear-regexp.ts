/**
 * Configured RegExps run on RE2JS, a pure-JavaScript port of RE2: matching time is linear in the
 * input whatever the pattern, so `/^https:\/\/([a-z]+|[a-z0-9]+)+\.example\.com$/` cannot block the
 * event loop (V8's backtracking engine takes ~600 ms for one 35-byte Origin on it). Pure JS, so it
 * loads on every Node version without a native addon. The price: no lookarounds and no
 * back-references (they need backtracking); such patterns are refused at start-up.
 */
import type { RE2JS } from 're2js';

type Re2js = typeof import('re2js');
let re2js: Re2js | undefined;
/** Loaded when a RegExp origin is first compiled (0.6 MB of heap): a policy without one does not carry it. */
function engine(): typeof RE2JS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (re2js ??= require('re2js') as Re2js).RE2JS;
}

export interface LinearRegExp {
  /** Whether the pattern matches somewhere in `input` (our patterns are anchored, so: the whole input). */
  readonly test: (input: string) => boolean;
  /** Capture group `group` of the first match, or undefined. */
  readonly group: (input: string, group: number) => string | undefined;
}

export type LinearCompileResult = { readonly ok: true; readonly regexp: LinearRegExp } | { readonly ok: false; readonly message: string };

/** Flags that change what a pattern means and that RE2 can express; `u`, `d` and `v` change nothing for origins. */
function re2Flags(flags: string): number | undefined {
  const RE2 = engine();
  let out = 0;
  for (const f of flags) {
    if (f === 'i') out |= RE2.CASE_INSENSITIVE;
    else if (f === 's') out |= RE2.DOTALL;
    else if (f === 'm') out |= RE2.MULTILINE;
    else if (f !== 'u' && f !== 'd' && f !== 'g' && f !== 'y') return undefined;
  }
  return out;
}

/** Compiles a JavaScript RegExp for the linear-time engine (the `g` and `y` flags are ignored: no state). */
export function compileLinear(regexp: RegExp): LinearCompileResult {
  const flags = re2Flags(regexp.flags);
  if (flags === undefined) return { ok: false, message: `${String(regexp)}: flag "${regexp.flags}" is not supported for origin patterns` };
  let compiled: RE2JS;
  try {
    compiled = engine().compile(regexp.source, flags);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      message:
        `${String(regexp)} cannot run in linear time (${why}); origin RegExps run on RE2 so that no Origin can stall the event loop: ` +
        'rewrite it without lookarounds or back-references (list the alternatives, or use https://*.example.com wildcards)',
    };
  }
  return {
    ok: true,
    regexp: {
      test: (input) => compiled.test(input),
      group: (input, group) => {
        const m = compiled.exec(input) as (string | undefined)[] | null;
        return m?.[group] ?? undefined;
      },
    },
  };
}
