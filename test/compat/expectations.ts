/**
 * What the core must answer, derived from what `cors` answered plus the documented differences
 * (docs/migration-from-cors.md). Each difference is applied only where it changes the expectation,
 * and is then recorded as used, so the test can prove that every divergence it allowed is documented
 * and every documented one is exercised.
 */
import { parseRequestOrigin } from '../../packages/cors-sentinel/src/origin/parse';
import { HOST, type MatrixRequest, type OptionSet } from './matrix';

export const DIFFERENCE_IDS = [
  'rejected-preflight', 'vary-always', 'no-cors-headers-without-grant', 'string-origin-allowlist',
  'default-allowed-headers', 'options-without-acrm', 'preflight-vary', 'no-expose-headers-on-preflight',
  'max-age-capped', 'list-formatting', 'origin-normalised', 'null-and-invalid-origins', 'origin-callback-error',
  'reflect-any-opt-in',
] as const;
export type DifferenceId = (typeof DIFFERENCE_IDS)[number];

/** A response reduced to what CORS is about. Lists are token sets (order and case are formatting). */
export interface Shape {
  status: number;
  body: string;
  acao?: string | undefined;
  acac?: string | undefined;
  acam?: string[] | undefined;
  acah?: string[] | undefined;
  aceh?: string[] | undefined;
  acma?: string | undefined;
  vary: string[];
}

export interface Answer {
  readonly shape: Shape;
  /** The list headers as sent, to tell formatting apart from content. */
  readonly raw: Readonly<Record<'acam' | 'acah' | 'aceh', string | undefined>>;
}

const tokens = (v: string | undefined, upper: boolean): string[] | undefined =>
  v === undefined ? undefined : [...new Set(v.split(',').map((t) => (upper ? t.trim().toUpperCase() : t.trim().toLowerCase())).filter((t) => t !== ''))].sort();

export function shapeOf(status: number, body: string, get: (name: string) => string | undefined): Answer {
  const raw = { acam: get('access-control-allow-methods'), acah: get('access-control-allow-headers'), aceh: get('access-control-expose-headers') };
  return {
    shape: {
      status, body,
      acao: get('access-control-allow-origin'), acac: get('access-control-allow-credentials'),
      acam: tokens(raw.acam, true), acah: tokens(raw.acah, false), aceh: tokens(raw.aceh, false),
      acma: get('access-control-max-age'), vary: tokens(get('vary'), false) ?? [],
    },
    raw,
  };
}

export type CorsAnswer = (request: MatrixRequest) => Promise<Answer>;

const header = (r: MatrixRequest, name: string): string | undefined =>
  Object.entries(r.headers).find(([k]) => k.toLowerCase() === name)?.[1];
const withHeaders = (r: MatrixRequest, method: string, change: Record<string, string>): MatrixRequest => {
  const kept = Object.entries(r.headers).filter(([k]) => !(k.toLowerCase() in change));
  return { name: `${r.name} (as ${method})`, method, headers: { ...Object.fromEntries(kept), ...change } };
};
const PREFLIGHT_VARY = ['access-control-request-headers', 'access-control-request-method', 'origin', 'access-control-request-private-network'].sort();

/** The core's expected answer to `request` under `set`, given cors's answers (`cors` may be asked about variants). */
export async function expectCore(
  set: OptionSet,
  request: MatrixRequest,
  cors: CorsAnswer,
  used: Set<DifferenceId>,
  raw: { value?: Answer['raw'] } = {},
): Promise<Shape> {
  const first = await cors(request);
  raw.value = first.raw;
  if (set.kind === 'disabled') return first.shape; // origin: false: both leave every request alone
  const use = (id: DifferenceId, changed: boolean): void => void (changed && used.add(id));
  if (set.kind === 'reflect') used.add('reflect-any-opt-in');

  const origin = header(request, 'origin');
  const acrm = header(request, 'access-control-request-method');
  let type = origin === undefined ? 'non_cors' : request.method === 'OPTIONS' && acrm !== undefined ? 'preflight' : sameOrigin(origin) ? 'non_cors' : 'actual';

  // cors treats every OPTIONS as a preflight; the core only OPTIONS + Origin + Access-Control-Request-Method.
  const asGet = request.method === 'OPTIONS' && type !== 'preflight' ? withHeaders(request, 'GET', {}) : request;
  const viaGet = asGet === request ? first : await cors(asGet);
  use('options-without-acrm', !same(first.shape, viaGet.shape));
  // The core matches (and reflects) the normalised origin.
  const parsed = origin === undefined || origin === 'null' ? undefined : parseRequestOrigin(origin);
  const asked = parsed !== undefined && parsed.origin !== origin ? withHeaders(asGet, asGet.method, { origin: parsed.origin }) : asGet;
  const base = asked === asGet ? viaGet : await cors(asked);
  use('origin-normalised', !same(viaGet.shape, base.shape));
  const b = base.shape;
  const askedOrigin = header(asked, 'origin');
  raw.value = base.raw;

  // Does the core grant the origin? As cors does, except where a documented difference says otherwise.
  let granted = b.acao !== undefined && (b.acao === '*' || b.acao === askedOrigin);
  if (b.acao !== undefined && !granted) use('string-origin-allowlist', true); // cors sends its one origin to everybody
  if (b.status === 500 && set.kind === 'function') {
    use('origin-callback-error', true); // cors: next(err) → 500; the core: a rejection
    granted = false;
  }
  if (set.kind === 'reflect' && granted && (origin === 'null' || parsed === undefined) && type !== 'non_cors') {
    use('null-and-invalid-origins', true);
    granted = false;
  }
  // A same-host Origin over a plain socket (the scheme is unknown: http page, or https behind a proxy)
  // is judged like any other when the policy grants it; only a refusal passes as non-CORS.
  if (type === 'non_cors' && origin !== undefined && granted) type = 'actual';
  const appStatus = b.status === 500 ? 200 : b.status;
  const appBody = b.status === 500 ? 'app' : b.body;
  const star = set.kind === 'star';

  if (type === 'non_cors' || (type === 'actual' && !granted)) {
    if (star) return b; // "*" answers everyone alike, with or without Origin
    use('no-cors-headers-without-grant', b.acac !== undefined || b.aceh !== undefined);
    use('vary-always', !b.vary.includes('origin'));
    return { status: appStatus, body: appBody, vary: union(b.vary, ['origin']) };
  }
  if (type === 'actual') return b;

  // Preflight: the core checks method and headers itself and answers a refusal with a quiet 403.
  const o = set.core;
  // Fetch upper-cases only these methods; GET, HEAD and POST pass a preflight whatever is listed.
  const normalised = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
  const methods = [
    ...list(o.methods, ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']).map((m) => (normalised.includes(m.toUpperCase()) ? m.toUpperCase() : m)),
    'GET', 'HEAD', 'POST',
  ];
  const allowed = list(o.allowedHeaders, ['content-type']).map((h) => h.toLowerCase());
  const requested = list(header(request, 'access-control-request-headers'), []).map((h) => h.toLowerCase());
  if (!granted || !methods.includes(acrm as string) || !requested.every((h) => allowed.includes(h))) {
    used.add('rejected-preflight');
    return { status: 403, body: '', vary: PREFLIGHT_VARY };
  }
  const expected: Shape = { ...b, aceh: undefined, vary: PREFLIGHT_VARY };
  use('no-expose-headers-on-preflight', b.aceh !== undefined);
  use('preflight-vary', !sameList(b.vary, expected.vary));
  if (o.allowedHeaders === undefined) {
    expected.acah = ['content-type'];
    use('default-allowed-headers', !sameList(b.acah, expected.acah));
  }
  if (b.acma !== undefined && Number(b.acma) > 86_400) {
    expected.acma = '86400';
    used.add('max-age-capped');
  }
  return expected;
}

/** Compares the core's answer with the expectation; list formatting differences are allowed and recorded. */
export function formattingOnly(core: Answer, corsRaw: Answer['raw'], expected: Shape, used: Set<DifferenceId>): void {
  for (const key of ['acam', 'acah', 'aceh'] as const) {
    if (core.raw[key] !== undefined && corsRaw[key] !== undefined && core.raw[key] !== corsRaw[key] && sameList(core.shape[key], expected[key])) {
      used.add('list-formatting');
    }
  }
}

function list(v: string | readonly string[] | undefined, fallback: readonly string[]): string[] {
  if (v === undefined) return [...fallback];
  return (typeof v === 'string' ? v.split(',') : [...v]).map((s) => s.trim()).filter((s) => s !== '');
}

function sameOrigin(origin: string): boolean {
  return origin.toLowerCase() === `https://${HOST}`;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function same(a: Shape, b: Shape): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
