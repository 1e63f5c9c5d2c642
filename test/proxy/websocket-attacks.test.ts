/**
 * WebSocket upgrades as an attacker sends them, over raw sockets: a foreign page riding on the
 * browser's HTTP-auth cache (Authorization is as ambient as a cookie on an upgrade: scripts cannot set
 * it), and absolute-form or `//host` targets, which would be replayed upstream verbatim.
 */
import type { IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startProxy, type RunningProxy } from './support';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** Sends an upgrade request and returns the status line's code once the head has arrived. */
function upgrade(port: number, target: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => {
      out += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      if (m && out.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(out)}`)));
    const lines = { host: 'api.example.com', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': KEY, ...headers };
    socket.write(`GET ${target} HTTP/1.1\r\n${Object.entries(lines).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  });
}

describe('WebSocket upgrades with ambient credentials and odd targets', () => {
  let backend: WebSocketServer;
  let seen: string[];
  let proxy: RunningProxy;
  beforeAll(async () => {
    seen = [];
    backend = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    backend.on('connection', (socket, req: IncomingMessage) => {
      seen.push(req.url ?? '');
      socket.close();
    });
    await new Promise((r) => backend.once('listening', r));
    // A route without credentials that any origin may read: CORS-wise every origin is fine.
    proxy = await startProxy({ upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, policy: { origins: '*' } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((r) => backend.close(r));
  });
  beforeEach(() => (seen = []));

  it('opens for a foreign origin without credentials (the route allows any origin)', async () => {
    expect(await upgrade(proxy.port, '/socket', { origin: 'https://evil.example' })).toBe(101);
    expect(seen).toEqual(['/socket']);
  });

  it.each([
    ['Authorization (the HTTP-auth cache)', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['a cookie', { cookie: 'session=1' }],
  ])('refuses a foreign origin carrying %s with 403 before the backend sees it', async (_what, credential) => {
    expect(await upgrade(proxy.port, '/socket', { origin: 'https://evil.example', ...credential })).toBe(403);
    expect(seen).toEqual([]);
    expect(await proxy.metric('cors_proxy_websocket_upgrades_total', { outcome: 'rejected', action: 'refused' })).toBeGreaterThan(0);
  });

  it('still opens a credentialed upgrade that is not cross-origin (no Origin: not a browser page)', async () => {
    expect(await upgrade(proxy.port, '/socket', { authorization: 'Bearer abc' })).toBe(101);
    expect(seen).toEqual(['/socket']);
  });

  it.each(['http://internal.example/socket', '//internal.example/socket', '*', 'socket'])('answers 400 to the target %s and replays nothing upstream', async (target) => {
    expect(await upgrade(proxy.port, target, {})).toBe(400);
    expect(seen).toEqual([]);
  });
});
