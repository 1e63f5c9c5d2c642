/**
 * The `localServer` preset under attack, over real sockets, on every entry point (node:http, Express,
 * Fastify, Koa, the sidecar proxy): DNS rebinding (a foreign Host on a loopback connection), look-alike
 * hosts and origins, simple POSTs, form POSTs and preflights from foreign origins — each answered 403
 * with the handler never run — while the real client (no Origin, or an allowed one) is served.
 */
import { connect, createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src';
import { memoryLogger, rawExchange, send } from '../support/exchange';
import { sumSamples } from '../support/metrics-text';
import { ENTRY_POINTS, startLocalServer, type LocalServer } from './servers';

const INSPECTOR = 'http://localhost:6274';

describe.each(ENTRY_POINTS)('localServer on %s', (kind) => {
  let server: LocalServer;
  let port: number;
  beforeAll(async () => {
    server = await startLocalServer(kind, { localServer: { allowedOrigins: [INSPECTOR], allowedHosts: ['mcp.localhost'] } });
    port = server.port;
  });
  afterAll(() => server.close());

  /** The status of one request and how many times the handler ran for it. */
  async function exchange(method: string, headers: Record<string, string>): Promise<{ status: number; ran: number; acao: string | undefined; pna: string | undefined }> {
    const before = server.calls();
    const res = await send(port, { method, path: '/mcp', headers });
    return {
      status: res.status, ran: server.calls() - before,
      acao: res.headers['access-control-allow-origin'] as string | undefined,
      pna: res.headers['access-control-allow-private-network'] as string | undefined,
    };
  }
  const refused = { status: 403, ran: 0, acao: undefined, pna: undefined };

  it('serves the real client: no Origin, on each loopback name and listed host with the listening port', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `mcp.localhost:${port}`, `LocalHost:${port}`]) {
      expect([host, await exchange('POST', { Host: host })]).toEqual([host, { status: 200, ran: 1, acao: undefined, pna: undefined }]);
    }
  });

  it('serves an allowed origin (simple POST, preflight, Private Network Access preflight)', async () => {
    const host = `localhost:${port}`;
    expect(await exchange('POST', { Host: host, Origin: INSPECTOR, 'Content-Type': 'text/plain' })).toEqual({ status: 200, ran: 1, acao: INSPECTOR, pna: undefined });
    expect(await exchange('OPTIONS', { Host: host, Origin: INSPECTOR, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' }))
      .toEqual({ status: 204, ran: 0, acao: INSPECTOR, pna: undefined });
    expect(await exchange('OPTIONS', { Host: host, Origin: INSPECTOR, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' }))
      .toEqual({ status: 204, ran: 0, acao: INSPECTOR, pna: 'true' });
  });

  it('refuses DNS rebinding: a foreign or look-alike Host on a loopback connection, whatever the Origin', async () => {
    const hosts = [
      `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost:${port === 65_535 ? 1 : port + 1}`,
      'localhost', `localhost.:${port}`, `mcp.localhost.evil.example:${port}`, `127.1:${port}`, `0.0.0.0:${port}`, `[::ffff:127.0.0.1]:${port}`,
    ];
    for (const host of hosts) {
      const origin = `http://${host}`;
      // The rebinding page is same-origin to the browser: it sends Sec-Fetch-Site: same-origin, and Origin names the Host.
      const attempts: Record<string, string>[] = [
        { Host: host },
        { Host: host, Origin: origin, 'Sec-Fetch-Site': 'same-origin', 'Content-Type': 'application/json' },
        { Host: host, Origin: INSPECTOR },
      ];
      for (const headers of attempts) {
        expect([host, headers.Origin, await exchange('POST', headers)]).toEqual([host, headers.Origin, refused]);
      }
      expect([host, await exchange('GET', { Host: host })]).toEqual([host, refused]);
    }
  });

  it('refuses look-alike and opaque origins on every method, before the handler', async () => {
    const host = `localhost:${port}`;
    const origins = ['http://localhost.evil.example', 'http://127.0.0.1.nip.io', `http://localhost:${port + 1}`, 'http://localhost:6275', 'https://localhost:6274', 'null', 'file://', 'http://evil.example'];
    for (const origin of origins) {
      expect([origin, await exchange('GET', { Host: host, Origin: origin })]).toEqual([origin, refused]);
      expect([origin, await exchange('POST', { Host: host, Origin: origin, 'Content-Type': 'text/plain' })]).toEqual([origin, refused]);
      expect([origin, await exchange('POST', { Host: host, Origin: origin, 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'application/x-www-form-urlencoded' })]).toEqual([origin, refused]);
      expect([origin, await exchange('OPTIONS', { Host: host, Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Private-Network': 'true' })]).toEqual([origin, refused]);
    }
  });

  it('counts host refusals as host_not_allowed violations', async () => {
    const before = sumSamples(await server.metrics(), 'cors_violations_total', { reason: 'host_not_allowed' });
    await exchange('POST', { Host: `attacker.example:${port}` });
    await exchange('OPTIONS', { Host: `attacker.example:${port}`, Origin: 'http://attacker.example', 'Access-Control-Request-Method': 'POST' });
    const text = await server.metrics();
    expect(sumSamples(text, 'cors_violations_total', { reason: 'host_not_allowed' }) - before).toBe(2);
    expect(sumSamples(text, 'cors_violations_total', { reason: 'host_not_allowed', request_type: 'preflight' })).toBeGreaterThanOrEqual(1);
  });
});

describe('localServer on the proxy: WebSocket upgrades', () => {
  let server: LocalServer;
  beforeAll(async () => (server = await startLocalServer('proxy', { localServer: { allowedOrigins: [INSPECTOR] } })));
  afterAll(() => server.close());

  const upgrade = (host: string, origin?: string): Promise<string> =>
    rawExchange(server.port, [
      'GET /ws HTTP/1.1', `Host: ${host}`, ...(origin ? [`Origin: ${origin}`] : []), 'Connection: Upgrade', 'Upgrade: websocket',
      'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', '',
    ].join('\r\n')).then((b) => b.toString('latin1').split('\r\n')[0] as string);

  it('refuses a rebinding page\'s upgrade (foreign Host, its own Origin) and a foreign Origin, before the backend', async () => {
    expect(await upgrade(`evil.example:${server.port}`, `http://evil.example:${server.port}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await upgrade(`localhost:${server.port}`, 'http://localhost.evil.example')).toBe('HTTP/1.1 403 Forbidden');
    expect(server.calls()).toBe(0);
    expect(sumSamples(await server.metrics(), 'cors_violations_total', { reason: 'host_not_allowed' })).toBe(1);
  });
});

describe('localServer: the violation log', () => {
  it('names the refused Host, the method and the path of a rebinding request', async () => {
    const { logger, lines } = memoryLogger();
    const server = await startLocalServer('node:http', { localServer: { allowedOrigins: [] }, logger });
    try {
      const res = await send(server.port, { method: 'POST', path: '/mcp?x=1', headers: { Host: `evil.example:${server.port}`, Origin: `http://evil.example:${server.port}` } });
      expect([res.status, server.calls()]).toEqual([403, 0]);
    } finally {
      await server.close();
    }
    expect(lines.filter((l) => l.message === 'cors violation')).toEqual([
      expect.objectContaining({ reason: 'host_not_allowed', requestType: 'actual', origin: `http://evil.example:${server.port}`, offending: `evil.example:${server.port}`, method: 'POST', path: '/mcp' }),
    ]);
  });
});

describe('localServer over HTTP/2 (node:http2 compatibility API)', () => {
  it('judges :authority like Host: a rebinding authority is refused, the loopback one served', async () => {
    let calls = 0;
    const handler = corsSentinelHandler({ localServer: { allowedOrigins: [] }, logger: false }, (_req, res) => void (calls++, res.end('ok')));
    // The handler is typed for node:http; the compatibility API hands it the same shape.
    const server = createHttp2Server(handler as unknown as Parameters<typeof createHttp2Server>[0]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = connect(`http://127.0.0.1:${port}`);
    const ask = (authority: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = client.request({ ':method': 'POST', ':path': '/mcp', ':authority': authority });
        req.on('response', (headers) => (resolve(Number(headers[':status'])), req.resume()));
        req.on('error', reject);
        req.end();
      });
    try {
      expect([await ask(`evil.example:${port}`), await ask(`localhost.evil.example:${port}`), calls]).toEqual([403, 403, 0]);
      expect([await ask(`127.0.0.1:${port}`), calls]).toEqual([200, 1]);
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
