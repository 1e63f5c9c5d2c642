import { auditResponse, type AuditRequest, type AuditResult } from '../../packages/cors-sentinel/src/observer/audit';
import { compileOrigins } from '../../packages/cors-sentinel/src/origin/compile';
import { ProblemCollector } from '../../packages/cors-sentinel/src/policy/errors';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

function res(status: number, headers: Record<string, string | string[]>) {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { status, header: (name: string) => lower.get(name) };
}
const actual = (origin: string | undefined, extra: Partial<AuditRequest> = {}): AuditRequest => ({ method: 'GET', origin, host: 'api.example.com', ...extra });
const preflight = (origin: string, method = 'PUT', headers?: string): AuditRequest => ({
  method: 'OPTIONS', origin, host: 'api.example.com', accessControlRequestMethod: method, accessControlRequestHeaders: headers,
});
const expected = compileOrigins([APP, 'https://*.preview.example.com'], 'expectedOrigins', { dangerouslyAllowNullOrigin: true }, new ProblemCollector());
const brief = (r: AuditResult) => [r.requestType, r.outcome, r.reason, [...r.findings].sort().join(' ')];

describe('auditResponse: what the browser makes of a response', () => {
  test.each<[string, AuditRequest, ReturnType<typeof res>, unknown[]]>([
    ['no Origin is not CORS', actual(undefined), res(200, {}), ['non_cors', undefined, undefined, '']],
    ['same-origin request with Origin is not CORS', actual('https://api.example.com'), res(200, {}), ['non_cors', undefined, undefined, '']],
    ['echoed origin with Vary is allowed', actual(APP), res(200, { 'Access-Control-Allow-Origin': APP, Vary: 'Accept, Origin' }), ['actual', 'allowed', undefined, '']],
    ['* is allowed without Vary', actual(EVIL), res(200, { 'Access-Control-Allow-Origin': '*' }), ['actual', 'allowed', undefined, '']],
    ['no ACAO is a rejection', actual(EVIL), res(200, { Vary: 'Origin' }), ['actual', 'rejected', 'origin_not_allowed', '']],
    ['another origin in ACAO is a rejection', actual(EVIL), res(200, { 'Access-Control-Allow-Origin': APP, Vary: 'Origin' }), ['actual', 'rejected', 'origin_not_allowed', '']],
    ['null origin not granted', actual('null'), res(200, {}), ['actual', 'rejected', 'null_origin', '']],
    ['invalid origin not granted', actual('not an origin'), res(200, {}), ['actual', 'rejected', 'invalid_origin', '']],
    ['cookies without ACAC', actual(APP, { hasCookie: true }), res(200, { 'Access-Control-Allow-Origin': APP, Vary: 'Origin' }), ['actual', 'rejected', 'credentials_not_allowed', '']],
    ['cookies with ACAC', actual(APP, { hasCookie: true }), res(200, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }), ['actual', 'allowed', undefined, '']],
    ['ACAO twice', actual(APP), res(200, { 'Access-Control-Allow-Origin': [APP, APP], Vary: 'Origin' }), ['actual', 'rejected', 'origin_not_allowed', 'acao_duplicated']],
    ['ACAO with two values', actual(APP), res(200, { 'Access-Control-Allow-Origin': `${APP}, ${EVIL}`, Vary: 'Origin' }), ['actual', 'rejected', 'origin_not_allowed', 'acao_duplicated']],
    ['echo without Vary', actual(APP), res(200, { 'Access-Control-Allow-Origin': APP }), ['actual', 'allowed', undefined, 'missing_vary_origin']],
    ['Vary: * covers Origin', actual(APP), res(200, { 'Access-Control-Allow-Origin': APP, Vary: '*' }), ['actual', 'allowed', undefined, '']],
    ['* with credentials', actual(APP), res(200, { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true' }), ['actual', 'allowed', undefined, 'wildcard_with_credentials']],
    ['null granted', actual('null'), res(200, { 'Access-Control-Allow-Origin': 'null', Vary: 'Origin' }), ['actual', 'allowed', undefined, 'null_origin_granted']],
    ['ACAO: null to a real origin', actual(EVIL), res(200, { 'Access-Control-Allow-Origin': 'null' }), ['actual', 'rejected', 'origin_not_allowed', 'null_origin_granted']],
    ['unexpected origin reflected with credentials', actual(EVIL), res(200, { 'Access-Control-Allow-Origin': EVIL, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }), ['actual', 'allowed', undefined, 'reflected_origin_with_credentials']],
    ['expected wildcard origin with credentials', actual('https://pr-1.preview.example.com'), res(200, { 'Access-Control-Allow-Origin': 'https://pr-1.preview.example.com', 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }), ['actual', 'allowed', undefined, '']],
    ['unexpected origin reflected without credentials is no finding', actual(EVIL), res(200, { 'Access-Control-Allow-Origin': EVIL, Vary: 'Origin' }), ['actual', 'allowed', undefined, '']],
    ['preflight allowed', preflight(APP, 'PUT', 'Content-Type'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'GET,PUT', 'Access-Control-Allow-Headers': 'content-type', Vary: 'Origin' }), ['preflight', 'allowed', undefined, '']],
    ['preflight for a safelisted method needs no ACAM', preflight(APP, 'POST', 'content-type'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Headers': 'Content-Type', Vary: 'Origin' }), ['preflight', 'allowed', undefined, '']],
    ['preflight method missing', preflight(APP, 'DELETE'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'GET,PUT', Vary: 'Origin' }), ['preflight', 'rejected', 'method_not_allowed', '']],
    ['preflight method *', preflight(APP, 'DELETE'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': '*', Vary: 'Origin' }), ['preflight', 'allowed', undefined, '']],
    ['preflight header missing', preflight(APP, 'PUT', 'x-token'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT', Vary: 'Origin' }), ['preflight', 'rejected', 'header_not_allowed', '']],
    ['* headers never cover Authorization', preflight(APP, 'PUT', 'authorization'), res(204, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT', 'Access-Control-Allow-Headers': '*', Vary: 'Origin' }), ['preflight', 'rejected', 'header_not_allowed', '']],
    ['preflight with a failing status', preflight(APP), res(404, { 'Access-Control-Allow-Origin': APP, 'Access-Control-Allow-Methods': 'PUT', Vary: 'Origin' }), ['preflight', 'rejected', 'origin_not_allowed', '']],
    ['rejected preflight that reveals the methods', preflight(EVIL), res(204, { 'Access-Control-Allow-Methods': 'GET,PUT', Vary: 'Origin' }), ['preflight', 'rejected', 'origin_not_allowed', 'rejected_preflight_reveals_policy']],
    ['rejected preflight that reveals the allowed origin', preflight(EVIL), res(204, { 'Access-Control-Allow-Origin': APP, Vary: 'Origin' }), ['preflight', 'rejected', 'origin_not_allowed', 'rejected_preflight_reveals_policy']],
    ['quiet rejected preflight', preflight(EVIL), res(403, { Vary: 'Origin, Access-Control-Request-Method' }), ['preflight', 'rejected', 'origin_not_allowed', '']],
    ['OPTIONS without ACRM is an actual request', actual(APP, { method: 'OPTIONS' }), res(204, { 'Access-Control-Allow-Origin': APP, Vary: 'Origin' }), ['actual', 'allowed', undefined, '']],
  ])('%s', (_name, request, response, want) => {
    expect(brief(auditResponse(request, response, { expectedOrigins: expected }))).toEqual(want);
  });

  test('private network preflights need Access-Control-Allow-Private-Network', () => {
    const r = { ...preflight(APP, 'GET'), accessControlRequestPrivateNetwork: 'true' };
    const base = { 'Access-Control-Allow-Origin': APP, Vary: 'Origin' };
    expect(auditResponse(r, res(204, base)).reason).toBe('private_network_not_allowed');
    expect(auditResponse(r, res(204, { ...base, 'Access-Control-Allow-Private-Network': 'true' })).outcome).toBe('allowed');
  });

  test('reflection is proven by a .invalid probe or an invalid origin even without expected origins', () => {
    const grant = (o: string) => res(200, { 'Access-Control-Allow-Origin': o, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' });
    expect(auditResponse(actual('https://probe.cors-sentinel.invalid'), grant('https://probe.cors-sentinel.invalid')).findings).toEqual(['reflected_origin_with_credentials']);
    expect(auditResponse(actual('https://probe.invalid'), grant('https://probe.invalid'), { reflectionProbe: false }).findings).toEqual([]);
    expect(auditResponse(actual(EVIL), grant(EVIL)).findings).toEqual([]);
    expect(auditResponse(actual('evil'), grant('evil')).findings).toEqual(['reflected_origin_with_credentials']);
  });

  test('labels: origins are normalised and expected patterns are reported for the label guard', () => {
    const r = auditResponse(actual('https://PR-2.preview.example.com:443'), res(200, {}), { expectedOrigins: expected });
    expect([r.origin, r.originSource, r.originPattern]).toEqual(['https://pr-2.preview.example.com', 'wildcard', 'https://*.preview.example.com']);
    expect(auditResponse(actual('%%'), res(200, {})).origin).toBe('__invalid__');
  });
});
