/**
 * `export --target traefik`: a Traefik v3 dynamic configuration whose middlewares the published Traefik
 * schema accepts (@kubernetes-models/traefik: the Middleware CRD's spec is the file provider's middleware,
 * the same Go structs; ESM-only, so validated in a child process), refusals by name, and a decision table:
 * the config read as Traefik's source says (traefik-semantics.ts) allows exactly what the middleware allows.
 */
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { ExportRefused } from '../../packages/cli/src/export/cli';
import { TRAEFIK_FILE } from '../../packages/cli/src/export/traefik';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Req } from '../support/exchange';
import { browserSpelled, decisionTable, exported } from './decision-table';
import { traefikAnswer, type TraefikConfig } from './traefik-semantics';
import { BYPASSES, equivalenceVectors, POLICY, POLICY_2 } from './vectors';

const { routes: _routes, ...SINGLE } = POLICY;
const { routes: _routes2, ...SINGLE_2 } = POLICY_2;

const traefik = (policy: CorsSentinelOptions): { text: string; result: string[] | Error } => exported('traefik', TRAEFIK_FILE, policy);

it.each([['POLICY', SINGLE], ['POLICY_2', SINGLE_2]] as const)('writes middlewares the published Traefik schema accepts (%s)', (_name, policy) => {
  const { text } = traefik(policy);
  const config = parse(text) as TraefikConfig;
  const check = `import { Middleware } from '@kubernetes-models/traefik/traefik.io/v1alpha1';
let text = ''; process.stdin.on('data', (c) => (text += c)).on('end', () => {
  for (const [name, spec] of Object.entries(JSON.parse(text))) new Middleware({ metadata: { name }, spec }).validate();
  console.log('valid');
});`;
  expect(execFileSync(process.execPath, ['--input-type=module', '-e', check], { input: JSON.stringify(config.http.middlewares), encoding: 'utf8' }).trim()).toBe('valid');
  // The schema does not forbid unknown keys: every key written must be one the Headers/IPAllowList schema names.
  const known = execFileSync(process.execPath, ['-e', `const fs=require('fs');const d=require.resolve('@kubernetes-models/traefik/package.json').replace('package.json','_schemas/');
process.stdout.write(['Headers','IPAllowList'].map((n)=>fs.readFileSync(d+'ComGithubTraefikTraefikV3PkgConfigDynamic'+n+'.js','utf8')).join(''))`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  for (const mw of Object.values(config.http.middlewares)) {
    for (const key of Object.keys({ ...mw.headers, ...mw.ipAllowList })) expect([key, known.includes(`"${key}"`)]).toEqual([key, true]);
  }
  for (const router of Object.values(config.http.routers)) expect(router.middlewares.every((m) => m in config.http.middlewares)).toBe(true);
});

it('anchors and escapes every origin regex, and never lets the headers middleware decide alone', () => {
  const config = parse(traefik(SINGLE).text) as TraefikConfig;
  const cors = config.http.middlewares['cors-0']!.headers!;
  expect(cors.accessControlAllowOriginList).toEqual(['https://app.example.com', 'http://localhost:5173']);
  expect(cors.accessControlAllowOriginListRegex).toEqual(['^https://[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*\\.preview\\.example\\.com$']);
  // Every preflight router ends in the answer of cors-sentinel's decision, not in the middleware's own check.
  const preflightRouters = Object.entries(config.http.routers).filter(([name]) => name.includes('preflight'));
  expect(preflightRouters.map(([, r]) => r.middlewares)).toEqual([['cors-0-preflight-vary', 'cors-0'], ['cors-0-preflight-vary', 'cors-0-reject']]);
});

it.each([
  ['a RegExp origin', { origins: [/^https:\/\/a\.example\.com$/] }, 'regexp_origin'],
  ['report-only', { origins: ['https://a.example.com'], reportOnly: { origins: ['https://b.example.com'] } }, 'report_only'],
  ['routes (Traefik routes on a decoded path, cors-sentinel on the path as received)', POLICY, 'traefik_routes'],
] as const)('refuses %s by name', (_name, policy, code) => {
  const { result } = traefik(policy as unknown as CorsSentinelOptions);
  expect(result).toBeInstanceOf(ExportRefused);
  expect((result as ExportRefused).refusals.map((r) => r.code)).toContain(code);
});

it.each([['POLICY', SINGLE], ['POLICY_2', SINGLE_2]] as const)('decision table (%s): Traefik, read as its source says, allows exactly what the middleware allows', (_name, policy) => {
  const yaml = traefik(policy).text;
  const allows = (r: Req): boolean => {
    const a = traefikAnswer(yaml, r);
    return a.allowOrigin !== undefined && (a.status === 'upstream' || (a.status >= 200 && a.status < 300));
  };
  const vectors = equivalenceVectors();
  expect(vectors.length).toBeGreaterThan(300);
  const table = decisionTable(vectors, policy, allows);
  // The one documented difference (docs/edge.md): spellings browsers never send, refused at the edge (fail-closed).
  const origin = (name: string): string => name.replace(/^(actual|error|preflight) from /, '');
  const differences = table.filter((row) => row.middleware !== row.edge);
  const unexplained = differences.filter((row) => !(row.middleware && !row.edge && !browserSpelled(origin(row.name))));
  expect(unexplained.map((row) => `${row.name}: middleware ${row.middleware}, traefik ${row.edge}`)).toEqual([]);
  expect(table.filter((row) => row.middleware).length).toBeGreaterThan(30);
  // Every CORS answer varies: preflights on the request headers, actual answers on Origin (not on `*` routes).
  for (const [, r] of vectors) {
    const a = traefikAnswer(yaml, r);
    if (r.method === 'OPTIONS' && r.headers?.['Access-Control-Request-Method'] !== undefined && r.headers.Origin !== undefined && !a.router.endsWith('-off')) expect([r, a.vary]).toEqual([r, true]);
  }
  // A rejected preflight gets the policy's rejected status and no Access-Control-Allow-Origin.
  const rejected = traefikAnswer(yaml, { method: 'OPTIONS', path: '/x', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
  expect(rejected).toMatchObject({ status: 403, allowOrigin: undefined, vary: true });
  expect(differences.length).toBeGreaterThan(0);
  // POLICY_2 allows `null`; every other bypass is refused by both.
  expect(BYPASSES.filter((o) => o !== 'null' || policy === SINGLE).every((o) => traefikAnswer(yaml, { path: '/api/items', headers: { Origin: o } }).allowOrigin === undefined)).toBe(true);
});
