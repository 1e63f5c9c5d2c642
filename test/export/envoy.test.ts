/**
 * `export --target envoy`: an Envoy v3 bootstrap valid against Envoy's official .proto files (shipped by
 * @grpc/grpc-js-xds, checked with protobufjs and the protoc-gen-validate rules: envoy-proto.ts), refusals by
 * name, and decision tables: the routes and the CORS filter, read as Envoy's source says
 * (envoy-semantics.ts), allow exactly what the middleware allows, policy routes included.
 */
import { parse } from 'yaml';
import { ExportRefused } from '../../packages/cli/src/export/cli';
import { ENVOY_FILE } from '../../packages/cli/src/export/envoy';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import type { Req } from '../support/exchange';
import { browserSpelled, decisionTable, exported } from './decision-table';
import { loadEnvoyProtos, protoErrors } from './envoy-proto';
import { envoyAnswer, envoyRoutes } from './envoy-semantics';
import { BYPASSES, equivalenceVectors, POLICY, POLICY_2 } from './vectors';

const envoy = (policy: CorsSentinelOptions): { text: string; result: string[] | Error } => exported('envoy', ENVOY_FILE, policy);
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

describe('the Envoy bootstrap against the official protos', () => {
  const root = loadEnvoyProtos();

  it.each([['POLICY', POLICY], ['POLICY_2', POLICY_2]] as const)('is valid (%s)', (_name, policy) => {
    expect(protoErrors(root, BOOTSTRAP, parse(envoy(policy).text))).toEqual([]);
  });

  it('catches what is not Envoy configuration (the check is not vacuous)', () => {
    const doc = parse(envoy(POLICY).text) as { static_resources: { listeners: Array<Record<string, unknown>> } };
    const listener = doc.static_resources.listeners[0]!;
    const hcm = (listener.filter_chains as Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }>)[0]!.filters[0]!.typed_config;
    const route = (hcm.route_config as { virtual_hosts: Array<{ routes: Array<Record<string, unknown>> }> }).virtual_hosts[0]!.routes[0]!;
    route.direct_response = { status: 99 };
    (route.match as Record<string, unknown>).headers = [{ name: 'origin', string_match: { regex: 'x' } }];
    listener.colour = 'blue';
    const errors = protoErrors(root, BOOTSTRAP, doc);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringContaining('string_match.regex: no such field'),
      expect.stringContaining('string_match: one of match_pattern is required'),
      expect.stringContaining('direct_response.status: breaks gte 200'),
      expect.stringContaining('colour: no such field'),
    ]));
    expect(errors).toHaveLength(4);
  });
});

it('puts a CorsPolicy on each allowed-origin route and never lets the filter forward a preflight', () => {
  const routes = envoyRoutes(envoy(POLICY).text);
  const policies = routes.map((r) => r.typed_per_filter_config?.['envoy.filters.http.cors']).filter((p) => p !== undefined);
  expect(policies.length).toBe(2); // admin and the default route; `*` answers need no origin check, static has CORS off
  expect(policies.every((p) => p.forward_not_matching_preflights === false)).toBe(true);
  expect(routes.map((r) => r.name).slice(0, 4)).toEqual(['cors-0-preflight-allowed', 'cors-0-preflight-rejected', 'cors-0-allowed', 'cors-0-other']);
});

it.each([
  ['a RegExp origin', { origins: [/^https:\/\/a\.example\.com$/] }, 'regexp_origin'],
  ['report-only', { origins: ['https://a.example.com'], reportOnly: { origins: ['https://b.example.com'] } }, 'report_only'],
] as const)('refuses %s by name', (_name, policy, code) => {
  const { result } = envoy(policy as unknown as CorsSentinelOptions);
  expect(result).toBeInstanceOf(ExportRefused);
  expect((result as ExportRefused).refusals.map((r) => r.code)).toContain(code);
});

it.each([['POLICY', POLICY], ['POLICY_2', POLICY_2]] as const)('decision table (%s): Envoy, read as its source says, allows exactly what the middleware allows', (_name, policy) => {
  const routes = envoyRoutes(envoy(policy).text);
  const allows = (r: Req): boolean => {
    const a = envoyAnswer(routes, r);
    return a.allowOrigin !== undefined && (a.status === 'upstream' || (a.status >= 200 && a.status < 300));
  };
  const vectors = equivalenceVectors();
  const table = decisionTable(vectors, policy, allows);
  // The one documented difference (docs/edge.md): spellings browsers never send, refused at the edge (fail-closed).
  const origin = (name: string): string => name.replace(/^(actual|error|preflight) from /, '');
  const differences = table.filter((row) => row.middleware !== row.edge);
  expect(differences.filter((row) => !(row.middleware && !row.edge && !browserSpelled(origin(row.name)))).map((row) => `${row.name}: middleware ${row.middleware}, envoy ${row.edge}`)).toEqual([]);
  expect(differences.length).toBeGreaterThan(0);
  expect(table.filter((row) => row.middleware).length).toBeGreaterThan(30);
  for (const [, r] of vectors) {
    const a = envoyAnswer(routes, r);
    if (r.method === 'OPTIONS' && r.headers?.['Access-Control-Request-Method'] !== undefined && r.headers.Origin !== undefined && !a.route.endsWith('-off')) {
      expect([r, a.vary, a.status]).toEqual([r, true, expect.anything()]);
      expect(a.status).not.toBe('upstream'); // answered at the edge, never forwarded
    }
  }
  const rejected = envoyAnswer(routes, { method: 'OPTIONS', path: policy === POLICY ? '/admin' : '/x', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
  expect(rejected).toMatchObject({ status: policy === POLICY ? 404 : 403, allowOrigin: undefined, vary: true });
  expect(BYPASSES.filter((o) => o !== 'null' || policy === POLICY).every((o) => envoyAnswer(routes, { path: '/api/items', headers: { Origin: o } }).allowOrigin === undefined)).toBe(true);
});
