/**
 * Matching a request's origin against the configured origins, compiled into lookup structures
 * (./compile.ts) so that a request costs a Set lookup for exact origins and one Set lookup per host
 * label for wildcard patterns — never a scan of the list — and a memoised linear-time match for RegExps.
 */
import type { ParsedOrigin } from './parse';

export type OriginEntry =
  | { readonly kind: 'exact'; readonly origin: string; readonly scheme: string; readonly host: string }
  | { readonly kind: 'wildcard'; readonly pattern: string; readonly scheme: string; readonly suffix: string; readonly publicSuffix: boolean }
  | { readonly kind: 'regexp'; readonly pattern: string; readonly regexp: RegExp; readonly test: (origin: string) => boolean }
  | { readonly kind: 'any' }
  | { readonly kind: 'null' };

export interface CompiledOrigins {
  readonly entries: readonly OriginEntry[];
  readonly any: boolean;
  readonly allowNull: boolean;
  readonly exact: ReadonlySet<string>;
  /** `scheme://suffix[:port]` → the pattern as written, for each `scheme://*.suffix[:port]`. */
  readonly wildcards: ReadonlyMap<string, string>;
  readonly regexps: readonly CompiledRegExp[];
  /**
   * Memo of RegExp verdicts per request origin (the matching pattern, or null): origins repeat, and
   * even a linear-time match costs microseconds. Keys are attacker-chosen, so it is bounded and
   * emptied when full (a flood then only costs the matches themselves).
   */
  readonly regexpVerdicts: Map<string, string | null>;
}

export interface CompiledRegExp {
  readonly pattern: string;
  readonly test: (origin: string) => boolean;
}

/** RegExp verdicts kept per route before the memo is emptied. */
export const MAX_REGEXP_VERDICTS = 2_048;

export type MatchKind = 'exact' | 'wildcard' | 'regexp' | 'any';

export interface OriginMatch {
  readonly kind: MatchKind;
  /** The configured pattern that matched (wildcard and regexp matches). */
  readonly pattern?: string;
}

const EXACT: OriginMatch = Object.freeze({ kind: 'exact' });
const ANY: OriginMatch = Object.freeze({ kind: 'any' });

/** Matches a parsed, normalised request origin against the compiled configuration. */
export function matchOrigin(compiled: CompiledOrigins, parsed: ParsedOrigin): OriginMatch | undefined {
  if (compiled.exact.has(parsed.origin)) return EXACT;
  if (compiled.wildcards.size > 0 && parsed.host.charCodeAt(0) !== 0x5b /* not IPv6 */) {
    const host = parsed.host;
    const tail = parsed.port === '' ? '' : `:${parsed.port}`;
    // Try every proper suffix that starts at a label boundary: a.b.example.com → b.example.com, example.com, com.
    for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.', dot + 1)) {
      const pattern = compiled.wildcards.get(`${parsed.scheme}://${host.slice(dot + 1)}${tail}`);
      if (pattern !== undefined) return { kind: 'wildcard', pattern };
    }
  }
  if (compiled.regexps.length > 0) {
    const pattern = matchRegExps(compiled, parsed.origin);
    if (pattern !== null) return { kind: 'regexp', pattern };
  }
  if (compiled.any) return ANY;
  return undefined;
}

function matchRegExps(compiled: CompiledOrigins, origin: string): string | null {
  const memo = compiled.regexpVerdicts;
  const known = memo.get(origin);
  if (known !== undefined) return known;
  let verdict: string | null = null;
  for (const r of compiled.regexps) {
    if (r.test(origin)) {
      verdict = r.pattern;
      break;
    }
  }
  if (memo.size >= MAX_REGEXP_VERDICTS) memo.clear();
  memo.set(origin, verdict);
  return verdict;
}
