/**
 * Attacks on cross-origin request protection over real sockets, against the real middleware:
 * forged, missing, repeated and odd Fetch Metadata headers never reach a protected handler in
 * enforce mode, never become a 500, and are counted with a bounded site label.
 */
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { corsSentinel, crossOriginProtection, type CorsSentinelOptions } from '../../packages/cors-sentinel/src';
import { listen, memoryLogger, rawExchange, send, series, type Running } from '../support/exchange';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

interface Api extends Running {
  readonly ran: string[];
  readonly registry: Registry;
  readonly lines: Record<string, unknown>[];
  close(): Promise<void>;
}

async function api(options: CorsSentinelOptions): Promise<Api> {
  const registry = new Registry();
  const { logger, lines } = memoryLogger();
  const cors = corsSentinel({ origins: [APP], credentials: true, metrics: { registry }, logger, logging: { maxPerInterval: 3, intervalMs: 60_000 }, ...options });
  const ran: string[] = [];
  const app = express();
  app.use(cors);
  const handler = (req: express.Request, res: express.Response): void => {
    ran.push(`${req.method} ${req.path}`);
    res.json({ ok: true });
  };
  app.post('/api/transfer', handler);
  app.post('/webhooks/stripe', handler);
  app.get('/api/transfer', handler);
  const server = await listen(app);
  return { ...server, ran, registry, lines, close: async () => { cors.close(); await server.close(); } };
}

const post = (port: number, headers: Record<string, string>, path = '/api/transfer') => send(port, { method: 'POST', path, headers: { 'Content-Type': 'text/plain', ...headers } });
const crossOrigin = (s: Record<string, number>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k.replace('cors_cross_origin_requests_total', ''), v]));

describe('cross-origin request protection over real sockets (enforce)', () => {
  let a: Api;
  beforeEach(async () => {
    a = await api({ crossOriginProtection: { mode: 'enforce', trustedOrigins: ['https://partner.example'], bypass: ['/webhooks/*'] } });
  });
  afterEach(() => a.close());

  it('blocks a forged cross-site form POST before the handler, with 403 and nothing that reveals the policy', async () => {
    const r = await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site', Cookie: 'sid=1' });
    expect(r.status).toBe(403);
    expect(r.body).toBe('');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(a.ran).toEqual([]);
    expect(crossOrigin(await series(a.registry, 'cors_cross_origin_requests_total'))).toEqual({ '{decision=blocked,route=default,site=cross-site}': 1 });
  });

  it('lets trusted origins, same-origin, user-initiated and non-browser requests through', async () => {
    const cases: Array<Record<string, string>> = [
      { Origin: APP, 'Sec-Fetch-Site': 'cross-site' }, // a CORS origin
      { Origin: 'https://partner.example', 'Sec-Fetch-Site': 'cross-site' }, // an extra trusted origin
      { Origin: 'https://api.example.com', 'Sec-Fetch-Site': 'same-origin', Host: 'api.example.com' },
      { 'Sec-Fetch-Site': 'none' },
      { Origin: `http://127.0.0.1:${a.port}` }, // an older browser: Origin names the Host
      {}, // curl: neither header
    ];
    for (const headers of cases) expect((await post(a.port, headers)).status).toBe(200);
    expect(a.ran).toHaveLength(cases.length);
    expect(crossOrigin(await series(a.registry, 'cors_cross_origin_requests_total'))).toEqual({
      '{decision=allowed,route=default,site=cross-site}': 2,
      '{decision=allowed,route=default,site=same-origin}': 2,
      '{decision=allowed,route=default,site=none}': 2,
    });
  });

  it('without Sec-Fetch-Site, blocks an Origin that does not name the Host (Go\'s fallback), null included', async () => {
    for (const origin of [EVIL, 'null', 'https://app.example.com.evil.example', `http://127.0.0.1:${a.port + 1}`]) {
      expect((await post(a.port, { Origin: origin })).status).toBe(403);
    }
    expect(a.ran).toEqual([]);
  });

  it('fails closed on Sec-Fetch-Site values no browser sends, labelled "unknown", never a 500', async () => {
    for (const v of ['Same-Origin', 'same-origin, cross-site', 'constructor', '__proto__', 'x'.repeat(8000), 'same-origin ,']) {
      const r = await post(a.port, { Origin: APP.replace('app', 'evil'), 'Sec-Fetch-Site': v });
      expect(r.status).toBe(403);
    }
    // Repeated header fields and bytes outside ASCII, written verbatim on the socket.
    const raw = await rawExchange(a.port, `POST /api/transfer HTTP/1.1\r\nHost: x\r\nOrigin: ${EVIL}\r\nSec-Fetch-Site: same-origin\r\nSec-Fetch-Site: same-origin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(raw.toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    const latin1 = await rawExchange(a.port, `POST /api/transfer HTTP/1.1\r\nHost: x\r\nSec-Fetch-Site: same-origin\u00e9\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    expect(latin1.toString('latin1')).toMatch(/^HTTP\/1\.1 403 /);
    expect(a.ran).toEqual([]);
    expect(crossOrigin(await series(a.registry, 'cors_cross_origin_requests_total'))).toEqual({ '{decision=blocked,route=default,site=unknown}': 8 });
  });

  it('a trusted origin cannot be faked by a look-alike, a path or a different scheme or port', async () => {
    for (const origin of ['https://app.example.com.evil.example', 'https://app.example.com/', 'http://app.example.com', 'https://app.example.com:8443', 'https://app.example.com.', 'https://app.example.com@evil.example']) {
      expect((await post(a.port, { Origin: origin, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    }
    expect(a.ran).toEqual([]);
  });

  it('bypasses only the listed paths; a bypass cannot be stretched to a protected handler', async () => {
    expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/webhooks/stripe')).status).toBe(200);
    expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/WEBHOOKS/stripe')).status).toBe(200); // case-insensitive, like Express's routing
    expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/webhooks/../api/transfer')).status).toBe(404);
    expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/webhooksx')).status).toBe(403);
    expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/api/transfer?/webhooks/x')).status).toBe(403);
    expect(a.ran).toEqual(['POST /webhooks/stripe', 'POST /WEBHOOKS/stripe']);
  });

  it('never judges safe methods: a cross-site GET navigation reaches the handler and is not counted', async () => {
    const r = await send(a.port, { method: 'GET', path: '/api/transfer', headers: { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'navigate' } });
    expect(r.status).toBe(200);
    expect(await series(a.registry, 'cors_cross_origin_requests_total')).toEqual({});
  });

  it('keeps the log within its budget under a flood and says how much it suppressed', async () => {
    await Promise.all(Array.from({ length: 40 }, () => post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' })));
    const blockedLines = a.lines.filter((l) => l.message === 'cors cross-origin request');
    expect(blockedLines).toHaveLength(3);
    expect(blockedLines[0]).toMatchObject({ decision: 'blocked', route: 'default', site: 'cross-site', method: 'POST', path: '/api/transfer', origin: EVIL, secFetchSite: 'cross-site' });
    await a.close();
    expect(a.lines.filter((l) => l.message === 'cors log lines suppressed')).toEqual([expect.objectContaining({ decision: 'blocked', suppressed: 37 })]);
    a = await api({}); // afterEach closes something
  });

  it('publishes the mode and the bypassed paths in cors_config_info', async () => {
    const info = await series(a.registry, 'cors_config_info');
    expect(Object.keys(info)).toEqual([expect.stringContaining('cross_origin_bypass=/webhooks/*,cross_origin_protection=enforce')]);
  });
});

describe('report-only', () => {
  it('lets the same attacks through, counts them as would_block and logs them', async () => {
    const a = await api({ crossOriginProtection: { mode: 'report-only' } });
    try {
      expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site', Cookie: 'sid=1' })).status).toBe(200);
      expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'bogus' })).status).toBe(200);
      expect((await post(a.port, { Origin: APP, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(200);
      expect(a.ran).toHaveLength(3);
      expect(crossOrigin(await series(a.registry, 'cors_cross_origin_requests_total'))).toEqual({
        '{decision=would_block,route=default,site=cross-site}': 1,
        '{decision=would_block,route=default,site=unknown}': 1,
        '{decision=allowed,route=default,site=cross-site}': 1,
      });
      expect(a.lines.filter((l) => l.message === 'cors cross-origin request').map((l) => l.decision)).toEqual(['would_block', 'would_block']);
    } finally {
      await a.close();
    }
  });

  it("labels per CORS route and trusts each route's own origins, never '*'", async () => {
    const a = await api({ origins: '*', credentials: false, routes: [{ path: '/api/*', name: 'api', origins: [APP], credentials: true }], crossOriginProtection: { mode: 'enforce' } });
    try {
      expect((await post(a.port, { Origin: APP, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(200);
      expect((await post(a.port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' }, '/webhooks/stripe')).status).toBe(403); // '*' trusts nobody
      expect(crossOrigin(await series(a.registry, 'cors_cross_origin_requests_total'))).toEqual({
        '{decision=allowed,route=api,site=cross-site}': 1,
        '{decision=blocked,route=default,site=cross-site}': 1,
      });
    } finally {
      await a.close();
    }
  });
});

describe('the standalone middleware on node:http', () => {
  it('blocks, passes and counts like the sentinel, with its own registry and route label', async () => {
    const registry = new Registry();
    const protect = crossOriginProtection({ mode: 'enforce', trustedOrigins: [APP], metrics: { registry }, logger: false, routeName: 'forms' });
    let ran = 0;
    const server = createServer((req, res) => protect(req, res, () => { ran++; res.end('ok'); }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      expect((await post(port, { Origin: EVIL, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
      expect((await post(port, { Origin: APP, 'Sec-Fetch-Site': 'cross-site' })).status).toBe(200);
      expect((await send(port, { method: 'GET', headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(200);
      expect(ran).toBe(2);
      expect(crossOrigin(await series(registry, 'cors_cross_origin_requests_total'))).toEqual({
        '{decision=blocked,route=forms,site=cross-site}': 1,
        '{decision=allowed,route=forms,site=cross-site}': 1,
      });
    } finally {
      protect.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
