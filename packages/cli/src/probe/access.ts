/**
 * What one origin gets end to end, from the actual answer and the preflights sent with it: a read
 * (the actual answer grants it), a write (a preflight grants a method or header that a simple request
 * could not already send), a read hidden behind authentication, or only a preflight that unlocks
 * nothing. See ORIGIN_ACCESS in classes.ts.
 */
import type { OriginAccess } from './classes';
import { granted, values, withCredentials } from './answers';
import type { ProbeResponse } from './types';

/** Methods a page sends without a preflight (POST with a form, text or multipart body). */
const SIMPLE_METHODS = new Set(['GET', 'HEAD', 'POST']);
/** Request headers a page sends without a preflight (content-type only with simple values, never asked for here). */
const SAFELISTED_HEADERS = new Set(['accept', 'accept-language', 'content-language']);
/** Statuses that say "a session is needed": the answer for the user's session is not the one seen. */
const AUTH_STATUSES = new Set([401, 403, 407]);

export interface OriginEvidence {
  readonly access: OriginAccess;
  readonly response: ProbeResponse;
  readonly credentials: boolean;
  /** Write: what the preflight unlocks (methods, header names). */
  readonly unlocks?: readonly string[];
  /** Hidden read: the status of the actual answer that asked for a session. */
  readonly actualStatus?: number;
}

/** A preflight passes in a browser only with an ok status and the origin granted. */
function passes(r: ProbeResponse): boolean {
  return r.status >= 200 && r.status < 300 && granted(r) === 'origin';
}

/**
 * What a passing preflight lets a page send beyond a simple request: a non-simple method that is
 * listed (or any method when `*` is honoured, i.e. without credentials), and non-safelisted headers
 * that are listed. POST is a simple method: a page POSTs a form without any preflight, so a preflight
 * for POST unlocks something only with a header it grants (a JSON `content-type`, a custom header).
 */
export function unlockedBy(r: ProbeResponse): string[] {
  const credentials = withCredentials(r);
  const methods = values(r, 'access-control-allow-methods').map((m) => m.toUpperCase());
  const allowed = values(r, 'access-control-allow-headers').map((h) => h.toLowerCase());
  const method = (r.request.requestMethod ?? 'GET').toUpperCase();
  const asked = (r.request.requestHeaders ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '' && !SAFELISTED_HEADERS.has(h));
  // `*` never covers Authorization, and means a literal "*" when credentials are allowed.
  const headers = asked.filter((h) => allowed.includes(h) || (!credentials && allowed.includes('*') && h !== 'authorization'));
  const unsafeMethod = !SIMPLE_METHODS.has(method) && (methods.includes(method) || (!credentials && methods.includes('*')));
  return [...(unsafeMethod || (method === 'POST' && headers.length > 0) ? [method] : []), ...headers];
}

function hasCorsHeaders(r: ProbeResponse): boolean {
  return Object.keys(r.headers).some((h) => h.startsWith('access-control-'));
}

/** The strongest access among the answers for one origin, or undefined when nothing is granted. */
export function originAccess(answers: readonly ProbeResponse[]): OriginEvidence | undefined {
  const actual = answers.find((r) => r.request.kind === 'actual');
  const candidates: OriginEvidence[] = [];
  if (actual && granted(actual) === 'origin') candidates.push({ access: 'read', response: actual, credentials: withCredentials(actual) });
  const passing = answers.filter((r) => r.request.kind === 'preflight' && passes(r));
  for (const credentials of [true, false]) {
    // Everything the preflights with (or without) credentials unlock, shown on the first of them.
    const writes = passing.filter((p) => withCredentials(p) === credentials && unlockedBy(p).length > 0);
    const unlocks = [...new Set(writes.flatMap(unlockedBy))];
    if (writes[0]) candidates.push({ access: 'write', response: writes[0], credentials, unlocks });
  }
  for (const p of passing) {
    const credentials = withCredentials(p);
    if (credentials && actual && AUTH_STATUSES.has(actual.status) && !hasCorsHeaders(actual)) candidates.push({ access: 'hidden_read', response: p, credentials, actualStatus: actual.status });
    else if (unlockedBy(p).length === 0) candidates.push({ access: 'preflight_only', response: p, credentials });
  }
  return candidates.sort((a, b) => strength(b) - strength(a))[0];
}

const ACCESS_STRENGTH: Readonly<Record<OriginAccess, number>> = { read: 3, hidden_read: 2, write: 1, preflight_only: 0 };

/** Credentials first (they are what makes a grant dangerous), then read over write over nothing. */
export function strength(e: OriginEvidence): number {
  return (e.credentials && e.access !== 'preflight_only' ? 10 : 0) + ACCESS_STRENGTH[e.access];
}
