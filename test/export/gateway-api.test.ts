/**
 * `export --target gateway-api`: an HTTPRoute with the CORS filter, valid against the published schema
 * (@kubernetes-models/gateway-api, ESM-only, so validated in a child process), refusals by name, and a
 * decision table: a filter that behaves as the Gateway API spec describes it allows exactly the requests
 * the middleware allows (the spec's text is modelled below: greedy `*` to the left, default ports,
 * safelisted methods always allowed, every requested header listed).
 */
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { ExportRefused } from '../../packages/cli/src/export/cli';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { decide } from '../../packages/cors-sentinel/src/engine/decide';
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { browserSpelled, exported as exportedFile } from './decision-table';
import { BYPASSES, equivalenceVectors, POLICY } from './vectors';

const { routes: _routes, ...SINGLE } = POLICY;

function exported(policy: CorsSentinelOptions): { yaml: string; result: string[] | Error } {
  const { text, result } = exportedFile('gateway-api', 'httproute.yaml', policy);
  return { yaml: text, result };
}

interface CorsFilter { allowOrigins: string[]; allowCredentials?: boolean; allowMethods?: string[]; allowHeaders?: string[]; exposeHeaders?: string[]; maxAge?: number }

function filterOf(yaml: string): CorsFilter {
  const doc = parse(yaml) as { spec: { rules: Array<{ filters: Array<{ type: string; cors?: CorsFilter }> }> } };
  return doc.spec.rules[0]!.filters.find((f) => f.type === 'CORS')!.cors!;
}

it('writes an HTTPRoute that the published Gateway API schema accepts', () => {
  const { yaml } = exported(SINGLE);
  const check = `import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import { parse } from 'yaml';
let text = ''; process.stdin.on('data', (c) => (text += c)).on('end', () => { new HTTPRoute(parse(text)).validate(); console.log('valid'); });`;
  expect(execFileSync(process.execPath, ['--input-type=module', '-e', check], { input: yaml, encoding: 'utf8' }).trim()).toBe('valid');
  expect(filterOf(yaml)).toEqual({
    allowOrigins: ['https://app.example.com', 'http://localhost:5173', 'https://*.preview.example.com'], allowCredentials: true,
    allowMethods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'], allowHeaders: ['content-type', 'x-api-key'], exposeHeaders: ['x-request-id'], maxAge: 600,
  });
  expect(yaml).toContain('Vary');
});

it.each([
  ['routes (case-insensitive in cors-sentinel, case-sensitive in HTTPRoute)', POLICY, 'gateway_api_routes'],
  ['the null origin', { origins: ['https://app.example.com', 'null'], dangerouslyAllowNullOrigin: true }, 'gateway_api_origin'],
  ['a custom scheme', { origins: ['capacitor://localhost'] }, 'gateway_api_origin'],
  ['a method outside the schema', { origins: ['https://app.example.com'], methods: ['GET', 'PROPFIND'] }, 'gateway_api_method'],
  ['a RegExp origin', { origins: [/^https:\/\/a\.example\.com$/] }, 'regexp_origin'],
] as const)('refuses %s by name', (_name, policy, code) => {
  const { result } = exported(policy as CorsSentinelOptions);
  expect(result).toBeInstanceOf(ExportRefused);
  expect((result as ExportRefused).refusals.map((r) => r.code)).toContain(code);
});

/** The Gateway API spec's reading of a CORS filter, for one request: is it allowed? */
function specAllows(f: CorsFilter, method: string, headers: Record<string, string>): boolean {
  const origin = headers.Origin as string;
  const withPort = (o: string): string => (/:\d+$/.test(o) ? o : `${o}:${o.startsWith('https:') ? 443 : 80}`);
  const originOk = f.allowOrigins.some((allowed) => {
    if (allowed === '*') return true;
    if (!allowed.includes('*')) return withPort(allowed) === withPort(origin);
    const [scheme, rest] = allowed.split('://*') as [string, string];
    const m = new RegExp(`^${scheme}://[^/:@#?,\\s]+${rest.replace(/\./g, '\\.')}$`).exec(origin);
    return m !== null;
  });
  if (!originOk) return false;
  const requested = headers['Access-Control-Request-Method'];
  if (method !== 'OPTIONS' || requested === undefined) return true;
  if (!['GET', 'HEAD', 'POST'].includes(requested) && !(f.allowMethods ?? []).includes(requested)) return false;
  const names = (headers['Access-Control-Request-Headers'] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  return names.every((n) => (f.allowHeaders ?? []).includes(n)) && headers['Access-Control-Request-Private-Network'] !== 'true';
}

it('decision table: the filter, read as the spec says, allows exactly what the middleware allows', () => {
  const filter = filterOf(exported(SINGLE).yaml);
  const compiled = compilePolicy({ ...SINGLE, metrics: false, logger: false });
  // Spellings a browser never sends, and origins a URL parser would not even take, are the middleware's to judge.
  const rows = equivalenceVectors().filter(([, r]) => r.headers?.Origin !== undefined && browserSpelled(r.headers.Origin) && !(r.headers['Access-Control-Request-Headers'] ?? '').includes('\t'));
  expect(rows.length).toBeGreaterThan(100);
  const table = rows.map(([name, r]) => {
    const h = r.headers as Record<string, string>;
    const method = r.method ?? 'GET';
    const d = decide(compiled, {
      method, path: (r.path ?? '/').split('?')[0] as string, origin: h.Origin, accessControlRequestMethod: h['Access-Control-Request-Method'],
      accessControlRequestHeaders: h['Access-Control-Request-Headers'], accessControlRequestPrivateNetwork: h['Access-Control-Request-Private-Network'],
    }) as Decision;
    const tooLarge = (h['Access-Control-Request-Headers'] ?? '').length > 2048 || (h['Access-Control-Request-Headers'] ?? '').split(',').length > 32;
    return { name, middleware: d.outcome === 'allowed', spec: specAllows(filter, method, h) && !tooLarge };
  });
  // The differences (docs/edge.md) are cors-sentinel's bounds on attacker-sized headers, which the filter
  // does not have: more than 16 empty list elements (no header is requested by them), Origins over 300 characters.
  const unbounded = (name: string): boolean => name.startsWith('over-long origin') || name === `headers ${JSON.stringify(','.repeat(16))}` || name === `headers ${JSON.stringify(','.repeat(17))}`;
  const differences = table.filter((row) => row.middleware !== row.spec);
  expect(differences.map((row) => row.name).filter((name) => !unbounded(name))).toEqual([]);
  expect(differences.every((row) => !row.middleware && row.spec)).toBe(true);
  expect(differences).toHaveLength(6);
  expect(table.filter((row) => row.middleware).length).toBeGreaterThan(10);
  expect(BYPASSES.filter(browserSpelled).every((o) => !specAllows(filter, 'GET', { Origin: o }))).toBe(true);
});
