/**
 * The proxy as a proxy, against real Flask under gunicorn: streamed bodies of several MB both ways,
 * a slow upstream, a dead upstream, forwarding headers and a graceful drain; a WebSocket echo.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { send, startProxy, type RunningProxy } from './support';

const POLICY = { origins: ['https://app.example.com'], credentials: true };
const MB = 1024 * 1024;

function download(url: string): Promise<{ status: number; bytes: number; sha: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha: hash.digest('hex') }));
    }).on('error', reject);
  });
}

describeIfCommand('gunicorn')('proxy transport in front of Flask under gunicorn', () => {
  let flask: RunningGunicorn;
  let proxy: RunningProxy;
  beforeAll(async () => {
    flask = await startGunicorn({ corsMode: 'none' });
    proxy = await startProxy({ upstream: flask.url, policy: POLICY, responseTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await proxy?.stop();
    await flask?.stop();
  });

  it('streams a 12 MB response intact', async () => {
    const direct = await download(`${flask.url}/api/stream?mb=12`);
    const proxied = await download(`${proxy.url}/api/stream?mb=12`);
    expect(proxied).toEqual({ status: 200, bytes: 12 * MB, sha: direct.sha });
  });

  it('streams a 12 MB chunked upload to Flask', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${proxy.url}/api/upload`, { method: 'POST', agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      const block = Buffer.alloc(MB, 'y');
      for (let i = 0; i < 12; i++) req.write(block);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ received: 12 * MB });
  });

  it('waits for a slow upstream within the response timeout', async () => {
    const res = await send(proxy.url, { path: '/api/slow?s=0.3' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ slow: true });
  });

  it('answers 504 and counts response_timeout when the upstream is slower than the timeout', async () => {
    const before = await proxy.metric('cors_proxy_upstream_errors_total', { kind: 'response_timeout' });
    const res = await send(proxy.url, { path: '/api/slow?s=3', headers: { origin: 'https://app.example.com' } });
    expect(res.status).toBe(504);
    // The policy's CORS headers are on the error too, so the frontend can read why.
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(await proxy.metric('cors_proxy_upstream_errors_total', { kind: 'response_timeout' })).toBe(before + 1);
  });

  it('adds X-Forwarded-*, appends to a client chain, and replaces a spoofed proto and host', async () => {
    const res = await send(proxy.url, {
      path: '/api/headers',
      headers: { host: 'api.example.com', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'keep-alive': 'timeout=5', te: 'trailers', connection: 'keep-alive, x-internal-token', 'x-internal-token': 'secret' },
    });
    const seen = JSON.parse(res.body) as Record<string, string>;
    expect(seen['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('api.example.com');
    expect(seen.host).toBe('api.example.com');
    for (const stripped of ['keep-alive', 'te', 'x-internal-token']) expect(seen[stripped]).toBeUndefined();
  });

  it('drains in-flight requests on shutdown and refuses new connections', async () => {
    const own = await startProxy({ upstream: flask.url, policy: POLICY });
    const slow = send(own.url, { path: '/api/slow?s=0.8' });
    await new Promise((r) => setTimeout(r, 200)); // let it reach Flask
    const stopping = own.stop();
    const health = await fetch(`${own.adminUrl}/healthz`).then((r) => r.status).catch(() => 'closed');
    expect([503, 'closed']).toContain(health);
    await expect(send(own.url, { path: '/api/items' })).rejects.toThrow(/ECONNREFUSED/);
    expect((await slow).status).toBe(200);
    await stopping;
  });
});

describe('proxy with the upstream down', () => {
  it('answers 502 and counts connect_refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${port}`, policy: POLICY });
    try {
      for (let i = 0; i < 3; i++) expect((await send(proxy.url, { path: '/api/items' })).status).toBe(502);
      expect(await proxy.metric('cors_proxy_upstream_errors_total', { kind: 'connect_refused' })).toBe(3);
      expect((await fetch(`${proxy.adminUrl}/healthz`)).status).toBe(200); // the proxy itself is healthy
    } finally {
      await proxy.stop();
    }
  });
});

describe('WebSocket through the proxy (cross-site WebSocket hijacking)', () => {
  let backend: WebSocketServer;
  let seenOrigins: Array<string | undefined>;
  let enforce: RunningProxy;
  let observe: RunningProxy;
  beforeAll(async () => {
    seenOrigins = [];
    backend = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    backend.on('connection', (socket, req: IncomingMessage) => {
      seenOrigins.push(req.headers.origin);
      socket.on('message', (data, binary) => socket.send(data, { binary }));
    });
    await new Promise((r) => backend.once('listening', r));
    const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    enforce = await startProxy({ upstream, policy: POLICY, mode: 'enforce' });
    observe = await startProxy({ upstream, policy: POLICY, mode: 'observe' });
  });
  afterAll(async () => {
    await enforce?.stop();
    await observe?.stop();
    await new Promise((r) => backend.close(r));
  });

  function open(url: string, origin?: string): Promise<{ ws?: WebSocket; status?: number }> {
    const ws = new WebSocket(url.replace('http', 'ws') + '/socket', origin ? { origin } : {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws }));
      ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
      ws.once('error', reject);
    });
  }

  async function echo(ws: WebSocket, text: string): Promise<string> {
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send(text);
    return reply;
  }

  it('echoes for a trusted origin, and for clients without Origin (not a browser)', async () => {
    for (const origin of ['https://app.example.com', undefined]) {
      const { ws } = await open(enforce.url, origin);
      expect(await echo(ws as WebSocket, `hello ${origin}`)).toBe(`hello ${origin}`);
      expect(await echo(ws as WebSocket, 'x'.repeat(200_000))).toHaveLength(200_000);
      ws?.close();
    }
    expect(await enforce.metric('cors_proxy_websocket_upgrades_total', { outcome: 'allowed', action: 'forwarded' })).toBe(1);
    expect(await enforce.metric('cors_proxy_websocket_upgrades_total', { outcome: 'non_cors', action: 'forwarded' })).toBe(1);
  });

  it('enforce mode refuses a cross-site origin with 403 before the backend sees it', async () => {
    const before = seenOrigins.length;
    expect((await open(enforce.url, 'https://evil.example')).status).toBe(403);
    expect(seenOrigins.length).toBe(before);
    expect(await enforce.metric('cors_proxy_websocket_upgrades_total', { outcome: 'rejected', action: 'refused' })).toBe(1);
    expect(await enforce.metric('cors_requests_total', { request_type: 'actual', outcome: 'rejected' })).toBe(1);
  });

  it('observe mode passes the cross-site upgrade through and counts what enforce would refuse', async () => {
    const { ws } = await open(observe.url, 'https://evil.example');
    expect(await echo(ws as WebSocket, 'still open')).toBe('still open');
    ws?.close();
    expect(seenOrigins).toContain('https://evil.example');
    expect(await observe.metric('cors_proxy_websocket_upgrades_total', { outcome: 'rejected', action: 'forwarded' })).toBe(1);
  });
});

describe('response bodies are streamed; request bodies above the buffer limit too', () => {
  it('the client reads the first chunk while the backend still holds the rest, and the backend the first buffer-full of an upload before the client sends more', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let firstUploadChunk!: (text: string) => void;
    const uploadStarted = new Promise<string>((r) => (firstUploadChunk = r));
    const backend = http.createServer((req, res) => {
      if (req.url === '/upload') {
        req.once('data', (c: Buffer) => firstUploadChunk(c.toString()));
        req.on('end', () => res.end('done'));
        return;
      }
      res.write('first;');
      void released.then(() => res.end('rest'));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    // A buffer of 8 bytes: "part one" fills it, so the rest streams (bodies within it are read whole first).
    const proxy = await startProxy({ upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, policy: POLICY, clientBodyBufferBytes: 8 });
    try {
      const body = await new Promise<string>((resolve) => {
        http.get(`${proxy.url}/download`, { agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            if (text === '') release(); // only possible if the first chunk came through alone
            text += c.toString();
          });
          res.on('end', () => resolve(text));
        });
      });
      expect(body).toBe('first;rest');

      const upload = http.request(`${proxy.url}/upload`, { method: 'POST', agent: false });
      const answered = new Promise<number>((resolve) => upload.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0))));
      upload.write('part one');
      expect(await uploadStarted).toBe('part one'); // the client has not finished the body yet
      upload.end('part two');
      expect(await answered).toBe(200);

      // A client that leaves mid-response is not an upstream error, and the proxy goes on serving.
      await new Promise<void>((resolve) => {
        http.get(`${proxy.url}/held-again`, { agent: false }, (res) => res.once('data', () => (res.destroy(), resolve())));
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(await proxy.metric('cors_proxy_upstream_errors_total')).toBe(0);
      expect((await send(proxy.url, { path: '/upload', method: 'POST', body: 'x' })).status).toBe(200);
    } finally {
      await proxy.stop();
      await new Promise((r) => backend.close(r));
    }
  });
});
