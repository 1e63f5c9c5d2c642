/**
 * The `crossOriginProtection` option: validated once, into the same problem collector as the CORS
 * policy, so that every mistake is reported together in one CorsConfigError.
 */
import { isLoopbackHost } from '../origin/parse';
import { compileOrigins } from '../origin/compile';
import { describe } from '../origin/describe';
import type { CompiledOrigins, OriginEntry } from '../origin/matcher';
import { ProblemCollector } from './errors';
import type { CrossOriginProtectionOptions, ProtectionMode } from './options';
import { entryText } from './origin-text';
import { judgeRegExpBreadth } from './regexp-rules';
import type { RouteSettings } from './route-settings';
import { readStatus } from './readers';
import { parseRoutePattern, type RoutePattern } from './routes';

export type { ProtectionProblemCode } from './errors';
export type { CrossOriginProtectionOptions, ProtectionMode } from './options';

export interface CompiledProtection {
  readonly mode: ProtectionMode;
  readonly status: number;
  readonly trustCorsOrigins: boolean;
  readonly trusted: CompiledOrigins;
  readonly bypass: readonly RoutePattern[];
  /** For the policy hash and `cors_config_info`. */
  readonly summary: { readonly mode: ProtectionMode; readonly trusted: readonly string[]; readonly trustCorsOrigins: boolean; readonly bypass: readonly string[]; readonly status: number };
}

/** What the warnings about CORS origins need of a route: its validated settings, not its runtime form. */
export type CorsRouteSettings = Pick<RouteSettings, 'name' | 'origins' | 'setting'>;

const KEYS = new Set(['mode', 'trustedOrigins', 'trustCorsOrigins', 'bypass', 'status', 'dangerouslyTrustInsecureOrigins']);
const MODES: ReadonlySet<string> = new Set(['report-only', 'enforce']);

/**
 * Validates the option (`undefined` or `false`: off). `at` is the option's path (`crossOriginProtection`);
 * `corsRoutes` are the validated CORS route settings whose origins would be trusted, for warnings; `extraKeys`
 * are keys the caller handles itself (the standalone middleware's metrics and logging).
 */
export function compileCrossOriginProtection(
  value: unknown,
  at: string,
  problems: ProblemCollector,
  corsRoutes: readonly CorsRouteSettings[] = [],
  extraKeys: ReadonlySet<string> = new Set(),
): CompiledProtection | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.add(at, 'invalid_type', `expected an options object such as { mode: 'report-only' }, or false, got ${describe(value)}`);
    return undefined;
  }
  const o = value as CrossOriginProtectionOptions & Record<string, unknown>;
  const p = (key: string): string => (at === '' ? key : `${at}.${key}`);
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key) && !extraKeys.has(key)) problems.add(p(key), 'unknown_option', `unknown option ${JSON.stringify(key)} (known: ${[...KEYS].join(', ')})`);
  }
  const mode = o.mode ?? 'report-only';
  if (!MODES.has(mode)) problems.add(p('mode'), 'invalid_protection_mode', `expected 'report-only' or 'enforce', got ${describe(o.mode)}`);
  const trustCorsOrigins = readFlag(o.trustCorsOrigins, true, p('trustCorsOrigins'), problems);
  const allowInsecure = readFlag(o.dangerouslyTrustInsecureOrigins, false, p('dangerouslyTrustInsecureOrigins'), problems);
  const trusted = compileTrusted(o.trustedOrigins, p('trustedOrigins'), allowInsecure, problems);
  const bypass = compileBypass(o.bypass, p('bypass'), problems);
  const status = readStatus(o.status, 403, 400, 599, p('status'), problems);
  if (trustCorsOrigins) warnAboutUntrustedCorsOrigins(corsRoutes, at, problems);
  return Object.freeze({
    mode: mode,
    status,
    trustCorsOrigins,
    trusted,
    bypass: Object.freeze(bypass),
    summary: Object.freeze({ mode: mode, trusted: trusted.entries.map(entryText), trustCorsOrigins, bypass: bypass.map((b) => b.source), status }),
  });
}

function readFlag(v: unknown, fallback: boolean, path: string, problems: ProblemCollector): boolean {
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  problems.add(path, 'invalid_type', `expected true or false, got ${describe(v)}`);
  return fallback;
}

/** Each spec is checked on its own (so that paths name it); the accepted ones are compiled together. */
function compileTrusted(value: unknown, at: string, allowInsecure: boolean, problems: ProblemCollector): CompiledOrigins {
  const none = new ProblemCollector();
  if (value === undefined) return compileOrigins([], at, { dangerouslyAllowNullOrigin: false }, none);
  if (!Array.isArray(value)) {
    problems.add(at, 'invalid_type', `expected an array of origins, got ${describe(value)}`);
    return compileOrigins([], at, { dangerouslyAllowNullOrigin: false }, none);
  }
  const accepted: unknown[] = [];
  value.forEach((spec: unknown, i) => {
    const path = `${at}[${i}]`;
    if (spec === '*') {
      return problems.add(path, 'trusted_any_origin', 'trusting "*" turns the protection off for every site; remove crossOriginProtection instead, or list the origins that may post to you');
    }
    if (typeof spec === 'string' && ['null', 'file://'].includes(spec.toLowerCase())) {
      return problems.add(path, 'trusted_null_origin', `${JSON.stringify(spec)} is the opaque origin any site can produce (sandboxed iframes, data: URLs); it can never be trusted`);
    }
    const before = problems.problems.length;
    const entry = compileOrigins([spec], path, { dangerouslyAllowNullOrigin: false }, problems).entries[0];
    if (entry === undefined || problems.problems.length > before) return;
    if (checkTrustedEntry(entry, path, allowInsecure, problems)) accepted.push(spec);
  });
  return compileOrigins(accepted, at, { dangerouslyAllowNullOrigin: false }, none);
}

/** The dangers of a trusted origin: plain http, a public-suffix wildcard, a near-universal RegExp. */
function checkTrustedEntry(entry: OriginEntry, path: string, allowInsecure: boolean, problems: ProblemCollector): boolean {
  const before = problems.problems.length;
  const plainHttp = (entry.kind === 'exact' && entry.scheme === 'http' && !isLoopbackHost(entry.host)) ||
    (entry.kind === 'wildcard' && entry.scheme === 'http' && !isLoopbackHost(entry.suffix.replace(/:\d+$/, '')));
  if (plainHttp && !allowInsecure) {
    problems.add(path, 'trusted_insecure_origin', `${entryText(entry)} is plain http: a network attacker can serve a page from it that posts with the user's cookies; use https or set dangerouslyTrustInsecureOrigins`);
  }
  if (entry.kind === 'wildcard' && entry.publicSuffix) {
    problems.add(path, 'trusted_public_suffix_wildcard', `${entry.pattern} covers a public suffix: anyone can register a site under it and post with the user's cookies`);
  }
  if (entry.kind === 'regexp') {
    // A trusted origin posts with the user's cookies: the RegExp must be proven confined, as with credentials.
    for (const err of judgeRegExpBreadth(entry.regexp, entry.test, { credentials: true, allowPublicSuffix: false }).errors) {
      if (err.code === 'credentials_with_public_suffix_wildcard') {
        problems.add(path, 'trusted_public_suffix_wildcard', `${entry.pattern} matches sites under a public suffix (such as ${err.example}): anyone can register one and post with the user's cookies`);
      } else problems.add(path, err.code, err.message.replace("read users' data", "post with the user's cookies"));
    }
  }
  return problems.problems.length === before;
}

function compileBypass(value: unknown, at: string, problems: ProblemCollector): RoutePattern[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(at, 'invalid_type', `expected an array of path patterns such as ['/webhooks/*'], got ${describe(value)}`);
    return [];
  }
  const out: RoutePattern[] = [];
  value.forEach((source: unknown, i) => {
    const pattern = parseRoutePattern(source, `${at}[${i}]`, problems);
    if (pattern === undefined) return;
    if (pattern.kind === 'subtree' && pattern.literal === '') {
      problems.add(`${at}[${i}]`, 'bypass_all_paths', `${JSON.stringify(source)} bypasses every path, which turns the protection off; list the paths other sites post to (e.g. '/webhooks/*'), or remove crossOriginProtection`);
      return;
    }
    out.push(pattern);
  });
  return out;
}

/** CORS origins that are deliberately not trusted for unsafe requests: say so at start-up. */
function warnAboutUntrustedCorsOrigins(routes: readonly CorsRouteSettings[], at: string, problems: ProblemCollector): void {
  for (const route of routes) {
    // `'*'` or reflection: the engine's anyOnly || reflectAny, read from the settings.
    if (route.origins.any || route.setting.reflectAny) {
      problems.warn(at, `route ${route.name} allows any origin for CORS; that does not make every site trusted to post with the user's cookies. List the sites that may in ${at}.trustedOrigins`);
    }
    // buildRoute makes a resolver cache exactly when the setting has a resolver (callback, function or store).
    if (route.setting.resolver !== undefined) {
      problems.warn(at, `route ${route.name}: origins its resolver or origin store allows are not trusted for unsafe cross-origin requests (tenants register them, and a tenant is an untrusted party: trusting them would let one tenant's site post with another tenant's users' cookies); watch decision="would_block" in report-only and list the ones you vouch for in ${at}.trustedOrigins, or bypass the route`);
    }
  }
}
