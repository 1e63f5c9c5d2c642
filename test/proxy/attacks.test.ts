/**
 * The attacker's side of the proxy, over raw sockets: request smuggling, hop-by-hop abuse, oversized
 * heads, absolute-form targets, upgrade smuggling and a broken backend. Every attack ends in a 4xx/5xx
 * answer (never a 500, never a crash) and nothing smuggled reaches the backend.
 */
import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { send, startProxy, type RunningProxy } from './support';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Writes raw bytes and collects everything until the server closes or goes quiet. */
function raw(port: number, text: string, quietMs = 400): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    let timer = setTimeout(() => socket.destroy(), quietMs);
    socket.on('data', (d) => {
      out += d.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), quietMs);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.on('error', () => undefined);
    socket.write(text);
  });
}

function statuses(response: string): number[] {
  return [...response.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}

describe('attacks on the proxy', () => {
  let backend: http.Server;
  let seen: Seen[];
  let proxy: RunningProxy;
  beforeAll(async () => {
    seen = [];
    backend = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/hop') res.setHeader('connection', 'x-internal');
        res.setHeader('x-internal', 'backend only');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ url: req.url, body }));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    proxy = await startProxy({ upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, policy: { origins: ['https://app.example.com'] } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((r) => backend.close(r));
  });
  beforeEach(() => (seen = []));

  it.each([
    ['CL.TE', 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['TE.CL', 'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n1\r\nG\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two Content-Lengths', 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an obfuscated Transfer-Encoding', 'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bare LF inside a header', 'GET /a HTTP/1.1\r\nHost: x\r\nX-A: b\nGET /smuggled HTTP/1.1\r\n\r\n'],
  ])('request smuggling with %s never reaches the backend as a second request', async (_name, attack) => {
    const answer = await raw(proxy.port, attack);
    expect(statuses(answer)).toEqual([400]);
    expect(seen.map((s) => s.url)).not.toContain('/smuggled');
  });

  it('refuses absolute-form and asterisk targets: it is not an open forward proxy', async () => {
    expect(statuses(await raw(proxy.port, 'GET http://169.254.169.254/latest/meta-data HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n'))).toEqual([400]);
    expect(statuses(await raw(proxy.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual([400]);
    expect(statuses(await raw(proxy.port, 'GET //evil.example/x HTTP/1.1\r\nHost: x\r\n\r\n'))).toEqual([400]);
    expect(seen).toEqual([]);
  });

  it('Connection cannot strip the forwarding headers or what the request means', async () => {
    const res = await send(proxy.url, {
      method: 'POST', path: '/a', body: 'payload',
      headers: { connection: 'x-forwarded-for, x-forwarded-proto, x-forwarded-host, origin, content-length, host, cookie', origin: 'https://evil.example', cookie: 'a=1', 'content-length': '7', 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    const [got] = seen;
    expect(got?.body).toBe('payload');
    expect(got?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(got?.headers['x-forwarded-proto']).toBe('http');
    expect(got?.headers.origin).toBe('https://evil.example');
    expect(got?.headers.cookie).toBe('a=1');
  });

  it('strips the hop-by-hop headers the backend names in its Connection header', async () => {
    const hop = await send(proxy.url, { path: '/hop' });
    expect(hop.headers['x-internal']).toBeUndefined();
    const plain = await send(proxy.url, { path: '/plain' });
    expect(plain.headers['x-internal']).toBe('backend only');
  });

  it('answers 431 to a huge head and keeps serving', async () => {
    expect(statuses(await raw(proxy.port, `GET /a HTTP/1.1\r\nHost: x\r\nOrigin: https://${'a'.repeat(100_000)}.example\r\n\r\n`))).toEqual([431]);
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n');
    expect(statuses(await raw(proxy.port, `GET /a HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`))[0]).toBe(431);
    expect((await send(proxy.url, { path: '/still-up' })).status).toBe(200);
  });

  it('a long but legal Origin and Access-Control-Request-Headers are judged, not echoed', async () => {
    const res = await send(proxy.url, {
      method: 'OPTIONS', path: '/a',
      headers: { origin: `https://${'b'.repeat(8000)}.example`, 'access-control-request-method': 'GET', 'access-control-request-headers': Array.from({ length: 500 }, (_, i) => `x-${i}`).join(',') },
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });

  it('refuses non-WebSocket upgrades (h2c smuggling) and WebSocket upgrades the backend does not accept carry nothing more', async () => {
    expect(statuses(await raw(proxy.port, 'GET /a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n'))).toEqual([400]);
    // The plain HTTP backend answers the upgrade with a 200: the tunnel must not open.
    const answer = await raw(proxy.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(statuses(answer)).toEqual([200]);
    expect(seen.map((s) => s.url)).toEqual(['/ws']);
  });
});

describe('a broken backend', () => {
  it('a malformed response is a counted 502, never a crash', async () => {
    const broken = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Bad: a\x01b\r\nTransfer-Encoding: chunked\r\n\r\nhello'));
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${(broken.address() as AddressInfo).port}`, policy: { origins: ['https://app.example.com'] } });
    try {
      expect((await send(proxy.url, { path: '/x' })).status).toBe(502);
      expect(await proxy.metric('cors_proxy_upstream_errors_total')).toBe(1);
      expect((await send(proxy.url, { path: '/y' })).status).toBe(502);
    } finally {
      await proxy.stop();
      await new Promise((r) => broken.close(r));
    }
  });
});
