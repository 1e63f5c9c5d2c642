/**
 * Configured origins validated and compiled once, at start-up: exact origins normalised as browsers
 * send them, `scheme://*.suffix` wildcards (refused over an IP address or a whole top-level domain,
 * flagged over a public suffix), and RegExps that must be anchored, stateless and linear-time. What
 * a request then costs is in ./matcher.ts.
 */
import { describe } from './describe';
import { compileLinear } from './linear-regexp';
import type { CompiledOrigins, CompiledRegExp, OriginEntry } from './matcher';
import { normaliseConfiguredOrigin } from './parse';
import { getPublicSuffix } from './public-suffix';
import { isAnchored } from './regexp-source';

/**
 * Where origin problems go: the policy's ProblemCollector fits. Declared here, by shape, so that this
 * module, which the policy, the engine and the stores all use, imports none of them.
 */
export type OriginProblemCode =
  | 'invalid_type' | 'invalid_origin' | 'origin_has_path' | 'null_origin_not_enabled' | 'unanchored_regexp'
  | 'stateful_regexp_flag' | 'wildcard_too_broad' | 'regexp_not_linear';

export interface OriginProblemSink {
  add(
    path: string,
    code: OriginProblemCode,
    message: string,
  ): void;
  warn(path: string, message: string): void;
}

export interface OriginCompileFlags {
  readonly dangerouslyAllowNullOrigin: boolean;
}

/** Validates and compiles origin specs; problems go to the collector under `path`. */
export function compileOrigins(
  specs: readonly unknown[],
  path: string,
  flags: OriginCompileFlags,
  problems: OriginProblemSink,
): CompiledOrigins {
  const entries: OriginEntry[] = [];
  specs.forEach((spec, index) => {
    const at = specs.length === 1 ? path : `${path}[${index}]`;
    const entry = compileOne(spec, at, flags, problems);
    if (entry) entries.push(entry);
  });
  const exact = new Set<string>();
  const wildcards = new Map<string, string>();
  const regexps: CompiledRegExp[] = [];
  let any = false;
  let allowNull = false;
  for (const e of entries) {
    if (e.kind === 'exact') exact.add(e.origin);
    else if (e.kind === 'wildcard') wildcards.set(`${e.scheme}://${e.suffix}`, e.pattern);
    else if (e.kind === 'regexp') regexps.push({ pattern: e.pattern, test: e.test });
    else if (e.kind === 'any') any = true;
    else allowNull = true;
  }
  // `regexps` is readonly by type, not frozen: it is scanned per request, slowly if frozen (see exact-grants.ts).
  return Object.freeze({ entries: Object.freeze(entries), any, allowNull, exact, wildcards, regexps, regexpVerdicts: new Map() });
}

function compileOne(spec: unknown, at: string, flags: OriginCompileFlags, problems: OriginProblemSink): OriginEntry | undefined {
  if (spec instanceof RegExp) {
    if (spec.global || spec.sticky) {
      problems.add(at, 'stateful_regexp_flag', `${String(spec)} has the g or y flag, which makes RegExp.test() stateful and skip matches`);
      return undefined;
    }
    if (!isAnchored(spec)) {
      problems.add(at, 'unanchored_regexp', `${String(spec)} is not anchored: write it as ^…$ (every alternative) so it cannot match a prefix or suffix of an attacker's origin`);
      return undefined;
    }
    const linear = compileLinear(spec);
    if (!linear.ok) {
      problems.add(at, 'regexp_not_linear', linear.message);
      return undefined;
    }
    return { kind: 'regexp', pattern: String(spec), regexp: new RegExp(spec.source, spec.flags), test: linear.regexp.test };
  }
  if (typeof spec !== 'string') {
    problems.add(at, 'invalid_type', `expected an origin string or RegExp, got ${describe(spec)}`);
    return undefined;
  }
  if (spec === '*') return { kind: 'any' };
  if (spec.toLowerCase() === 'null' || spec.toLowerCase() === 'file://') {
    if (!flags.dangerouslyAllowNullOrigin) {
      problems.add(
        at,
        'null_origin_not_enabled',
        `${JSON.stringify(spec)} is sent by sandboxed iframes, local files and redirects that any site can trigger; set dangerouslyAllowNullOrigin to allow it`,
      );
      return undefined;
    }
    if (spec.toLowerCase() === 'null') return { kind: 'null' };
    return { kind: 'exact', origin: 'file://', scheme: 'file', host: '' };
  }
  const wildcard = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/\*\.(.*)$/.exec(spec);
  if (wildcard) return compileWildcard(spec, wildcard[1] as string, wildcard[2] as string, at, problems);
  if (spec.includes('*')) {
    problems.add(at, 'invalid_origin', `${JSON.stringify(spec)}: a wildcard is only allowed as the leading label, as in https://*.example.com`);
    return undefined;
  }
  const result = normaliseConfiguredOrigin(spec);
  if (!result.ok) {
    problems.add(at, result.code, result.message);
    return undefined;
  }
  if (result.hadTrailingSlash) problems.warn(at, `${JSON.stringify(spec)}: the trailing slash was dropped (browsers never send one)`);
  if (result.rewritten !== undefined) {
    problems.warn(at, `${JSON.stringify(spec)} is matched as ${JSON.stringify(result.rewritten)}: that is how browsers send this origin; write it so to silence this warning`);
  }
  return { kind: 'exact', origin: result.parsed.origin, scheme: result.parsed.scheme, host: result.parsed.host };
}

function compileWildcard(spec: string, scheme: string, rest: string, at: string, problems: OriginProblemSink): OriginEntry | undefined {
  // Checked on the text: the URL parser refuses `x.127.0.0.1` as a malformed IPv4 address.
  if (/^(\[|[\d.]+(:\d*)?$)/.test(rest)) {
    problems.add(at, 'invalid_origin', `${JSON.stringify(spec)}: wildcards apply to domain names, not IP addresses`);
    return undefined;
  }
  // Normalise `scheme://x.rest` and take the host apart again, so that the suffix gets the same
  // treatment (case, punycode, default port) as an exact origin.
  const result = normaliseConfiguredOrigin(`${scheme}://x.${rest}`);
  if (!result.ok) {
    problems.add(at, result.code, `${JSON.stringify(spec)} is not a valid wildcard origin pattern`);
    return undefined;
  }
  const { parsed } = result;
  const suffix = parsed.host.slice(2);
  // `example.com.` is the fully qualified form of `example.com`: check the name without its root dot,
  // or `https://*.com.` would pass as a two-label suffix and grant `https://attacker.com.`.
  const name = suffix.endsWith('.') ? suffix.slice(0, -1) : suffix;
  if (!name.includes('.') && name !== 'localhost') {
    problems.add(at, 'wildcard_too_broad', `${JSON.stringify(spec)} matches a whole top-level domain`);
    return undefined;
  }
  if (name !== suffix) {
    problems.warn(at, `${JSON.stringify(spec)} ends with a dot: it matches only hosts written with a trailing dot; did you mean "${parsed.scheme}://*.${name}"?`);
  }
  const publicSuffix = getPublicSuffix(name, { allowPrivateDomains: true }) === name;
  const port = parsed.port === '' ? '' : `:${parsed.port}`;
  return { kind: 'wildcard', pattern: `${parsed.scheme}://*.${suffix}${port}`, scheme: parsed.scheme, suffix: `${suffix}${port}`, publicSuffix };
}
