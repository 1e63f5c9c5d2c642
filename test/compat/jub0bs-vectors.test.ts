/**
 * jub0bs/cors's published test cases (transcribed in jub0bs-vectors.json, with their source) run
 * through cors-sentinel: middleware cases over a real socket, configuration and origin-pattern cases
 * through compilePolicy. Every answer must agree, or differ only in a way the vector names and
 * docs/differences-from-jub0bs.md explains; a named difference that no longer occurs is an error too.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, type Reply } from '../support/http';

type Headers = Record<string, string | string[]>;
/**
 * `outcome`: a preflight whose outcome differs from jub0bs's on purpose: whether the browser's check passes
 * with cors-sentinel's answer, and the documented difference that explains it. jub0bs's headers are then
 * not compared; cors-sentinel's answer must be a whole grant or a bare 403.
 */
interface Case {
  desc: string; method: string; headers: Headers; respHeaders: Headers; preflight?: boolean; passesCorsCheck?: boolean; preflightFails?: boolean; differences?: string[];
  outcome?: { passes: boolean; difference: string };
}
/** `substitution`: why `options` is not jub0bs's configuration word for word (cors-sentinel refuses that one). */
interface Group { group: string; jub0bs: { Credentialed?: boolean; PreflightSuccessStatus?: number }; options: CorsSentinelOptions; differences: string[]; cases: Case[]; substitution?: string }
interface ConfigVector { desc: string; msgs: string[]; options: CorsSentinelOptions; refused: string[] | null; differences?: string[] }
/**
 * `runtimeDifference`: a difference that occurs only where the running Node's WHATWG URL parser accepts
 * the input (IDNA validation moved between Node versions: Node 20 and 22 refuse `xn--f`, Node 24 accepts it).
 */
interface PatternVector { name: string; input: string; jub0bsValid: boolean; canonical?: string; difference?: string; runtimeDifference?: string }
interface Vectors { middleware: Group[]; config: ConfigVector[]; originPatterns: PatternVector[]; insecureOrigins: Array<{ pattern: string; insecure: boolean }> }

const ROOT = join(__dirname, '..', '..');
const VECTORS = JSON.parse(readFileSync(join(__dirname, 'jub0bs-vectors.json'), 'utf8')) as Vectors;
const DOC = readFileSync(join(ROOT, 'docs', 'differences-from-jub0bs.md'), 'utf8');
/** Differences explained in the doc: one `### \`id\`` heading each. */
const EXPLAINED = new Set([...DOC.matchAll(/^### `([a-z0-9-]+)`/gm)].map((m) => m[1] as string));
const SINGLETONS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-max-age', 'access-control-allow-private-network'];
const LISTS = ['access-control-allow-methods', 'access-control-allow-headers'];
const PREFLIGHT_VARY = tokens('Access-Control-Request-Headers, Access-Control-Request-Method, Access-Control-Request-Private-Network, Origin');
const SAFELISTED = new Set(['GET', 'HEAD', 'POST']);
const used = new Set<string>();

/** The elements of a list-based field (lines joined), lower-cased, without empty elements. */
function tokens(value: string | string[] | undefined): Set<string> {
  const lines = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return new Set(lines.flatMap((l) => l.split(',')).map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
}
const same = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((t) => b.has(t));
const covers = (a: Set<string>, b: Set<string>): boolean => [...b].every((t) => a.has(t));

/** The jub0bs test request, as jub0bs sends it (https://example.com/whatever), over a real socket. */
function ask(port: number, c: Case): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/whatever', method: c.method, headers: { Host: 'example.com', ...c.headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

function wanted(c: Case, name: string): string | string[] | undefined {
  const key = Object.keys(c.respHeaders).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : c.respHeaders[key];
}

function requestHeader(c: Case, name: string): string | string[] | undefined {
  const key = Object.keys(c.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : c.headers[key];
}

/** The browser's CORS check of a preflight answer (Fetch §4.9), for the request the case makes. */
function browserAccepts(c: Case, res: Reply, credentialed: boolean): boolean {
  const h = res.headers;
  const acao = h['access-control-allow-origin'];
  if (res.status < 200 || res.status > 299 || acao === undefined || (acao !== requestHeader(c, 'origin') && (credentialed || acao !== '*'))) return false;
  if (credentialed && h['access-control-allow-credentials'] !== 'true') return false;
  const methods = tokens(h['access-control-allow-methods']);
  const method = String(requestHeader(c, 'access-control-request-method'));
  if (!SAFELISTED.has(method) && !methods.has(method.toLowerCase()) && (credentialed || !methods.has('*'))) return false;
  const allowed = tokens(h['access-control-allow-headers']);
  for (const name of tokens(requestHeader(c, 'access-control-request-headers'))) {
    if (!allowed.has(name) && (credentialed || name === 'authorization' || !allowed.has('*'))) return false;
  }
  return requestHeader(c, 'access-control-request-private-network') !== 'true' || h['access-control-allow-private-network'] === 'true';
}

/** What differs from jub0bs's expectation: documented difference ids, and anything else as a problem. */
function judge(group: Group, c: Case, res: Reply): { observed: Set<string>; problems: string[] } {
  const observed = new Set<string>();
  const problems: string[] = [];
  const jub0bsPasses = c.passesCorsCheck === true && c.preflightFails !== true;
  if (c.outcome !== undefined) return judgeOutcome(group, c, res, jub0bsPasses);
  if (c.preflight) {
    const status = jub0bsPasses ? (group.jub0bs.PreflightSuccessStatus ?? 204) : 403;
    if (res.status !== status) problems.push(`status ${res.status}, jub0bs ${status}`);
    if (browserAccepts(c, res, group.jub0bs.Credentialed === true) !== jub0bsPasses) problems.push(`the browser would ${jub0bsPasses ? 'refuse' : 'accept'} this preflight; with jub0bs it would not`);
  } else if (res.status !== 200 || res.body !== 'bar') {
    problems.push(`the handler's 200 "bar" became ${res.status} ${JSON.stringify(res.body)}`);
  }
  for (const name of SINGLETONS) {
    if (res.headers[name] !== wanted(c, name)) problems.push(`${name}: ${String(res.headers[name])}, jub0bs ${String(wanted(c, name))}`);
  }
  if (!same(tokens(res.headers['access-control-expose-headers']), tokens(wanted(c, 'access-control-expose-headers')))) problems.push('access-control-expose-headers differs');
  for (const name of LISTS) {
    const got = tokens(res.headers[name]);
    const want = tokens(wanted(c, name));
    if (same(got, want)) continue;
    if (c.preflight && jub0bsPasses && covers(got, want)) observed.add('preflight-lists-configured');
    else problems.push(`${name}: ${[...got].join(',')}, jub0bs ${[...want].join(',')}`);
  }
  const vary = tokens(res.headers.vary);
  const wantVary = tokens(wanted(c, 'vary'));
  if (!same(vary, wantVary)) {
    const plainOptions = c.method === 'OPTIONS' && requestHeader(c, 'access-control-request-method') === undefined;
    if (plainOptions && same(vary, new Set(['origin'])) && same(wantVary, PREFLIGHT_VARY)) observed.add('vary-on-plain-options');
    else problems.push(`vary: ${[...vary].join(',')}, jub0bs ${[...wantVary].join(',')}`);
  }
  const declared = new Set([...group.differences, ...(c.differences ?? [])]);
  for (const id of observed) if (!declared.has(id)) problems.push(`difference ${id} is not declared for this case`);
  return { observed, problems };
}

/** A preflight whose outcome differs on purpose (Case.outcome): a whole grant or a bare 403, as declared. */
function judgeOutcome(group: Group, c: Case, res: Reply, jub0bsPasses: boolean): { observed: Set<string>; problems: string[] } {
  const { passes, difference } = c.outcome as { passes: boolean; difference: string };
  const problems: string[] = [];
  if (!c.preflight || passes === jub0bsPasses) problems.push('an outcome difference must be a preflight whose outcome differs from jub0bs\'s');
  const status = passes ? (group.options.optionsSuccessStatus ?? 204) : 403;
  if (res.status !== status) problems.push(`status ${res.status}, expected ${status}`);
  if (browserAccepts(c, res, group.jub0bs.Credentialed === true) !== passes) problems.push(`the browser would ${passes ? 'refuse' : 'accept'} this preflight`);
  const cors = Object.keys(res.headers).filter((name) => name.startsWith('access-control-'));
  if (!passes && cors.length > 0) problems.push(`a refusal carries ${cors.join(', ')}`);
  if (!same(tokens(res.headers.vary), PREFLIGHT_VARY)) problems.push(`vary: ${String(res.headers.vary)}`);
  return { observed: new Set([difference]), problems };
}

describe.each(VECTORS.middleware.map((g) => [g.group, g] as const))('jub0bs middleware vectors: %s', (_name, group) => {
  let server: Awaited<ReturnType<typeof listen>>;
  const seen = new Set<string>();
  beforeAll(async () => {
    // jub0bs's spy handler answers 200 "bar" (its `Vary: foo` is the app's own, left out here).
    const handler = corsSentinelHandler({ ...group.options, logger: false, metrics: { registry: new Registry() } }, (_req, res) => res.end('bar'));
    server = await listen(handler);
  });
  afterAll(() => server.close());

  test.each(group.cases.map((c) => [c.desc, c] as const))('%s', async (_desc, c) => {
    const { observed, problems } = judge(group, c, await ask(server.port, c));
    expect(problems).toEqual([]);
    for (const id of observed) {
      seen.add(id);
      used.add(id);
    }
  });

  test('every difference declared for the group occurs', () => {
    expect(group.differences.filter((id) => !seen.has(id))).toEqual([]);
  });
});

function codesOf(options: CorsSentinelOptions): string[] | null {
  try {
    compilePolicy(options);
    return null;
  } catch (err) {
    if (err instanceof CorsConfigError) return err.problems.map((p) => p.code).sort();
    throw err;
  }
}

describe('jub0bs configuration vectors', () => {
  test.each(VECTORS.config.map((v) => [v.desc, v] as const))('%s', (_desc, v) => {
    const codes = codesOf(v.options);
    expect(codes).toEqual(v.refused === null ? null : [...v.refused].sort());
    const jub0bsRefuses = v.msgs.length > 0;
    // Where one refuses and the other accepts, the vector names the difference; where they agree, it names none.
    expect((v.differences ?? []).length > 0).toBe(jub0bsRefuses !== (codes !== null));
    for (const id of v.differences ?? []) used.add(id);
  });
});

describe('jub0bs origin-pattern vectors (internal/origins/pattern_test.go)', () => {
  test.each(VECTORS.originPatterns.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    let accepted: string | undefined;
    try {
      accepted = String((compilePolicy({ origins: [v.input] }).defaultRoute.summary.origins as string[])[0]);
    } catch (err) {
      if (!(err instanceof CorsConfigError)) throw err;
    }
    if (accepted !== undefined && v.canonical !== undefined) expect(accepted).toBe(v.canonical);
    const difference = v.difference ?? (v.runtimeDifference !== undefined && runtimeUrlAccepts(v.input) ? v.runtimeDifference : undefined);
    // Agreement, or a named difference: never both.
    expect(difference === undefined).toBe((accepted !== undefined) === v.jub0bsValid);
    if (difference !== undefined) used.add(difference);
  });

  test.each(VECTORS.insecureOrigins.map((v) => [v.pattern, v.insecure] as const))('%s with credentials: refused as insecure = %s', (pattern, insecure) => {
    expect(codesOf({ origins: [pattern], credentials: true })).toEqual(insecure ? ['credentials_with_insecure_origin'] : null);
  });
});

/** Whether this Node's URL parser accepts the origin's host (see PatternVector.runtimeDifference). */
function runtimeUrlAccepts(origin: string): boolean {
  try {
    new URL(origin);
    return true;
  } catch {
    return false;
  }
}

const RUNTIME_DEPENDENT = new Set(VECTORS.originPatterns.flatMap((v) => (v.runtimeDifference === undefined ? [] : [v.runtimeDifference])));

test('every difference the vectors name is explained in docs/differences-from-jub0bs.md, and every explained one occurs', () => {
  expect([...used].filter((id) => !EXPLAINED.has(id))).toEqual([]);
  expect([...EXPLAINED].filter((id) => !used.has(id) && !RUNTIME_DEPENDENT.has(id))).toEqual([]);
  expect(used.size).toBeGreaterThan(5);
});
