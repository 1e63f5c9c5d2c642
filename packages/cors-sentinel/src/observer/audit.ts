/**
 * Audits a response that some other CORS layer produced (the `cors` package, the app's own handlers,
 * a proxy): a pure function from the request and the response headers as they are about to be written
 * to what a browser will make of them — request type, allowed or rejected, an inferred reason — and
 * the problems the headers show. It replays the browser's CORS check (Fetch standard, "CORS check"
 * and "CORS-preflight fetch") rather than the server's intent, because that is what users experience.
 */
import { INVALID_ORIGIN_LABEL, socketScheme, type CorsRequest, type Decision, type OriginSource, type Reason } from '../engine/decision';
import { parseRequestedHeaders, SAFELISTED_METHODS } from '../http/tokens';
import type { Finding } from '../contract';
import { matchOrigin, type CompiledOrigins } from '../origin/matcher';
import { parseRequestOrigin, type ParsedOrigin } from '../origin/parse';
// The engine's own check, so that enforce and observe modes label the same request alike.
import { isSameOrigin } from '../origin/same-origin';

// The finding names are the metric contract's: the audit produces them, the alert rules match on them.
export { FINDINGS, type Finding } from '../contract';

/** The request as the audit needs it: the engine's view, header values as received, without path and raw request. */
export type AuditRequest = Omit<CorsRequest, 'path' | 'raw'>;

export type HeaderValue = string | number | readonly string[] | undefined;

export interface AuditResponse {
  readonly status: number;
  /** A response header by lower-case name, as Node's `res.getHeader()` returns it. */
  header(name: string): HeaderValue;
}

export interface AuditOptions {
  /** Origins the operator expects to be granted; granting another one with credentials is reflection. */
  readonly expectedOrigins?: CompiledOrigins | undefined;
  /**
   * Treat origins under the reserved `.invalid` TLD (RFC 6761: never a real site) as probes: granting
   * one with credentials proves the origin is reflected, even without `expectedOrigins`.
   */
  readonly reflectionProbe?: boolean;
}

/**
 * The audited request in the engine's terms (so that it is counted exactly like an enforced one);
 * `originSource`/`originPattern` say how `expectedOrigins` recognises the origin, if it does.
 */
export interface AuditResult extends Pick<Decision, 'requestType' | 'outcome' | 'reason' | 'origin' | 'originSource' | 'originPattern'> {
  readonly findings: readonly Finding[];
}

/** Headers that tell a requester something about the policy; a rejected origin should get none of them. */
const POLICY_HEADERS = [
  'access-control-allow-methods', 'access-control-allow-headers', 'access-control-max-age',
  'access-control-allow-credentials', 'access-control-expose-headers', 'access-control-allow-private-network',
] as const;

export function auditResponse(req: AuditRequest, res: AuditResponse, options: AuditOptions = {}): AuditResult {
  const findings: Finding[] = [];
  const acaoFields = values(res.header('access-control-allow-origin'));
  // Several fields, or several values in one field: browsers accept exactly one value.
  const acaoList = acaoFields.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (acaoFields.length > 1 || acaoList.length > 1) findings.push('acao_duplicated');
  const acao = acaoFields.length === 1 && acaoList.length === 1 ? acaoList[0] : undefined;
  const credentials = single(res.header('access-control-allow-credentials')) === 'true';
  if (credentials && acaoList.includes('*')) findings.push('wildcard_with_credentials');
  if (acaoList.some((v) => v.toLowerCase() === 'null')) findings.push('null_origin_granted');

  const raw = req.origin;
  const preflight = req.method === 'OPTIONS' && req.accessControlRequestMethod !== undefined;
  if (raw === undefined || (!preflight && isSameOrigin(raw, req.host) && isSameOrigin(raw, req.host, socketScheme(req)))) {
    return { requestType: 'non_cors', outcome: undefined, reason: undefined, origin: undefined, originSource: undefined, originPattern: undefined, findings };
  }
  const parsed = raw === 'null' ? undefined : parseRequestOrigin(raw);
  const origin = raw === 'null' ? 'null' : (parsed?.origin ?? INVALID_ORIGIN_LABEL);
  const expected = expectation(options.expectedOrigins, raw, parsed);

  // Browsers compare the header with the Origin they sent, byte for byte.
  const echoed = acao !== undefined && acao === raw;
  const granted = acao === '*' || echoed;
  if (echoed && !hasVaryOrigin(res.header('vary'))) findings.push('missing_vary_origin');
  if (echoed && credentials && isReflection(raw, parsed, options, expected.known)) findings.push('reflected_origin_with_credentials');

  let reason: Reason | undefined;
  if (!granted) reason = raw === 'null' ? 'null_origin' : parsed === undefined ? 'invalid_origin' : 'origin_not_allowed';
  else if (preflight) reason = preflightProblem(req, res, credentials);
  else if (req.hasCookie === true && (acao === '*' || !credentials)) reason = 'credentials_not_allowed';

  if (preflight && !granted && (acaoList.length > 0 || POLICY_HEADERS.some((h) => res.header(h) !== undefined))) {
    findings.push('rejected_preflight_reveals_policy');
  }
  return {
    requestType: preflight ? 'preflight' : 'actual',
    outcome: reason === undefined ? 'allowed' : 'rejected',
    reason,
    origin,
    originSource: expected.source,
    originPattern: expected.pattern,
    findings,
  };
}

/** The browser's checks of a preflight whose origin was granted, in the browser's order. */
function preflightProblem(req: AuditRequest, res: AuditResponse, credentials: boolean): Reason | undefined {
  // A preflight needs an ok status; the fixed reasons have no better name for a failing one.
  if (res.status < 200 || res.status > 299) return 'origin_not_allowed';
  const method = req.accessControlRequestMethod as string;
  const methods = listTokens(res.header('access-control-allow-methods'), false);
  // `*` is a wildcard only for requests without credentials; a credentialed answer implies credentialed requests.
  if (!SAFELISTED_METHODS.has(method) && !methods.includes(method) && (credentials || !methods.includes('*'))) return 'method_not_allowed';
  const requested = req.accessControlRequestHeaders;
  if (requested !== undefined && requested !== '') {
    const names = parseRequestedHeaders(requested);
    if (!names.ok) return names.tooLarge ? 'headers_too_large' : 'header_not_allowed';
    const allowed = listTokens(res.header('access-control-allow-headers'), true);
    const any = allowed.includes('*') && !credentials;
    // Authorization is never covered by `*`.
    if (names.names.some((n) => !allowed.includes(n) && !(any && n !== 'authorization'))) return 'header_not_allowed';
  }
  if (req.accessControlRequestPrivateNetwork === 'true' && single(res.header('access-control-allow-private-network')) !== 'true') {
    return 'private_network_not_allowed';
  }
  return undefined;
}

/** Reflection: an echoed, credentialed origin that is a probe, is not even a valid origin, or is not expected. */
function isReflection(raw: string, parsed: ParsedOrigin | undefined, options: AuditOptions, known: boolean): boolean {
  if (raw !== 'null' && parsed === undefined) return true;
  if (options.reflectionProbe !== false && parsed !== undefined && (parsed.host === 'invalid' || parsed.host.endsWith('.invalid'))) return true;
  return options.expectedOrigins !== undefined && !known;
}

function expectation(
  expected: CompiledOrigins | undefined,
  raw: string,
  parsed: ParsedOrigin | undefined,
): { known: boolean; source: OriginSource | undefined; pattern: string | undefined } {
  if (expected === undefined) return { known: false, source: undefined, pattern: undefined };
  if (raw === 'null') return { known: expected.allowNull, source: expected.allowNull ? 'null' : undefined, pattern: undefined };
  const match = parsed === undefined ? undefined : matchOrigin(expected, parsed);
  return { known: match !== undefined, source: match?.kind, pattern: match?.pattern };
}

function values(v: HeaderValue): string[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return [String(v)];
  return typeof v === 'string' ? [v] : [...v];
}

function single(v: HeaderValue): string | undefined {
  const all = values(v);
  return all.length === 1 ? all[0]?.trim() : undefined;
}

/** A comma-separated header (all of its fields) as trimmed tokens; header names lower-cased, methods as sent. */
function listTokens(v: HeaderValue, lower: boolean): string[] {
  return values(v)
    .flatMap((field) => field.split(','))
    .map((t) => (lower ? t.trim().toLowerCase() : t.trim()))
    .filter((t) => t !== '');
}

function hasVaryOrigin(v: HeaderValue): boolean {
  return listTokens(v, true).some((t) => t === 'origin' || t === '*');
}
