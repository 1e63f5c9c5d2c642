/**
 * The `localServer` preset's refusals of an Origin, over real sockets on every entry point: each one is
 * counted with its reason (`null_origin`, `origin_not_allowed`, `invalid_origin`; an unsafe method from
 * another origin as a blocked cross-origin request) and logged; and an opaque origin (`null`, `file://`)
 * is served only when listed in `allowedOrigins` with `dangerouslyAllowNullOrigin` (the flag alone allows nothing).
 */
import { memoryLogger, send } from '../support/exchange';
import { sumSamples } from '../support/metrics-text';
import { ENTRY_POINTS, startLocalServer, type LocalServer } from './servers';

const INSPECTOR = 'http://localhost:6274';

/** The counters a refusal may move, read once. */
async function counts(server: LocalServer): Promise<Record<string, number>> {
  const text = await server.metrics();
  const v = (labels: Record<string, string>): number => sumSamples(text, 'cors_violations_total', labels);
  return {
    null_origin: v({ reason: 'null_origin' }),
    origin_not_allowed: v({ reason: 'origin_not_allowed' }),
    origin_not_allowed_preflight: v({ reason: 'origin_not_allowed', request_type: 'preflight' }),
    invalid_origin: v({ reason: 'invalid_origin' }),
    host_not_allowed: v({ reason: 'host_not_allowed' }),
    cross_origin_blocked: sumSamples(text, 'cors_cross_origin_requests_total', { decision: 'blocked' }),
  };
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, n]) => [k, n - (before[k] ?? 0)]));
}

describe.each(ENTRY_POINTS)('localServer on %s: origin refusals', (kind) => {
  let server: LocalServer;
  beforeAll(async () => (server = await startLocalServer(kind, { localServer: { allowedOrigins: [INSPECTOR] } })));
  afterAll(() => server.close());

  const ask = async (method: string, headers: Record<string, string>): Promise<[number, number]> => {
    const before = server.calls();
    const res = await send(server.port, { method, path: '/mcp', headers: { Host: `localhost:${server.port}`, ...headers } });
    return [res.status, server.calls() - before];
  };

  it('counts each with its reason, before the handler', async () => {
    const none = { null_origin: 0, origin_not_allowed: 0, origin_not_allowed_preflight: 0, invalid_origin: 0, host_not_allowed: 0, cross_origin_blocked: 0 };
    const cases: Array<[string, string, Record<string, string>, Partial<typeof none>]> = [
      ['GET', 'null', {}, { null_origin: 1 }],
      ['GET', 'http://localhost.evil.example', {}, { origin_not_allowed: 1 }],
      ['GET', 'file://', {}, { origin_not_allowed: 1 }],
      ['GET', 'localhost:6274', {}, { invalid_origin: 1 }],
      ['OPTIONS', 'http://127.0.0.1.nip.io', { 'Access-Control-Request-Method': 'POST' }, { origin_not_allowed: 1, origin_not_allowed_preflight: 1 }],
      // An unsafe method from another origin is stopped by cross-origin protection (enforce), counted there.
      ['POST', 'http://evil.example', { 'Content-Type': 'text/plain' }, { cross_origin_blocked: 1 }],
    ];
    for (const [method, origin, headers, moved] of cases) {
      const before = await counts(server);
      const answer = await ask(method, { Origin: origin, ...headers });
      expect([method, origin, answer, delta(await counts(server), before)]).toEqual([method, origin, [403, 0], { ...none, ...moved }]);
    }
  });

  it('serves no Origin and the allowed one, counting no refusal', async () => {
    const before = await counts(server);
    expect([await ask('POST', {}), await ask('POST', { Origin: INSPECTOR, 'Content-Type': 'text/plain' })]).toEqual([[200, 1], [200, 1]]);
    expect(Object.values(delta(await counts(server), before)).every((n) => n === 0)).toBe(true);
  });
});

describe.each(ENTRY_POINTS)('localServer on %s: the null origin', (kind) => {
  const servers: LocalServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  async function statuses(allowedOrigins: string[], dangerouslyAllowNullOrigin: boolean, bypass?: string[]): Promise<{ ran: number; answers: Record<string, [number, string | undefined]> }> {
    const server = await startLocalServer(kind, { localServer: { allowedOrigins, dangerouslyAllowNullOrigin }, ...(bypass ? { crossOriginProtection: { bypass } } : {}) });
    servers.push(server);
    const answers: Record<string, [number, string | undefined]> = {};
    for (const [method, origin] of [['GET', 'null'], ['POST', 'null'], ['GET', 'file://'], ['POST', 'file://'], ['POST', 'http://evil.example']] as const) {
      const res = await send(server.port, { method, path: '/mcp', headers: { Host: `127.0.0.1:${server.port}`, Origin: origin, 'Content-Type': 'text/plain' } });
      answers[`${method} ${origin}`] = [res.status, res.headers['access-control-allow-origin'] as string | undefined];
    }
    return { ran: server.calls(), answers };
  }
  const refused: [number, undefined] = [403, undefined];
  const allRefused = { 'GET null': refused, 'POST null': refused, 'GET file://': refused, 'POST file://': refused, 'POST http://evil.example': refused };

  it('is refused with the flag alone (nothing listed), as without it', async () => {
    for (const flag of [false, true]) expect([flag, await statuses([INSPECTOR], flag)]).toEqual([flag, { ran: 0, answers: allRefused }]);
  });

  it('listed and dangerously enabled: served where CORS decides; cross-origin protection still never trusts null for a POST', async () => {
    expect(await statuses(['null'], true)).toEqual({ ran: 1, answers: { ...allRefused, 'GET null': [200, 'null'] } });
    // A bypassed path leaves the Origin check alone to decide: the listed null origin posts, a foreign one still gets 403.
    expect(await statuses(['null'], true, ['/mcp'])).toEqual({ ran: 2, answers: { ...allRefused, 'GET null': [200, 'null'], 'POST null': [200, 'null'] } });
    expect(await statuses(['file://'], true)).toEqual({ ran: 2, answers: { ...allRefused, 'GET file://': [200, 'file://'], 'POST file://': [200, 'file://'] } });
  });
});

describe('localServer: the log lines of origin refusals', () => {
  it('name the reason, the origin, the method and the path', async () => {
    const { logger, lines } = memoryLogger();
    const server = await startLocalServer('node:http', { localServer: { allowedOrigins: [INSPECTOR] }, logger });
    try {
      const host = `localhost:${server.port}`;
      await send(server.port, { method: 'GET', path: '/mcp', headers: { Host: host, Origin: 'null' } });
      await send(server.port, { method: 'POST', path: '/mcp', headers: { Host: host, Origin: 'http://localhost.evil.example', 'Content-Type': 'text/plain' } });
      expect(server.calls()).toBe(0);
    } finally {
      await server.close();
    }
    expect(lines.filter((l) => l.message === 'cors violation')).toEqual([
      expect.objectContaining({ reason: 'null_origin', origin: 'null', method: 'GET', path: '/mcp' }),
    ]);
    expect(lines.filter((l) => l.message === 'cors cross-origin request')).toEqual([
      expect.objectContaining({ decision: 'blocked', origin: 'http://localhost.evil.example', method: 'POST', path: '/mcp' }),
    ]);
  });
});
