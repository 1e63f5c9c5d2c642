/**
 * WebSocket upgrades through the proxy are judged on the backend profile's path too (issue 23 §1):
 * a shaped path cannot move an upgrade from a narrowed route to a looser one, and a target the
 * profile refuses is answered 400 before anything reaches the backend.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { startProxy, type RunningProxy } from '../proxy/support';
import { raw } from './corpus';

const APP = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const UPGRADE = { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };

describe('WebSocket upgrades through the proxy (default backend profile werkzeug)', () => {
  let backend: http.Server;
  let proxy: RunningProxy;
  const reached: string[] = [];
  beforeAll(async () => {
    backend = http.createServer((_req, res) => res.end());
    backend.on('upgrade', (req, socket: Duplex) => {
      reached.push(req.url ?? '');
      socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    proxy = await startProxy({
      upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`,
      policy: { origins: [APP, PARTNER], credentials: true, routes: [{ path: '/api/account/*', origins: [APP] }] },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((r) => backend.close(r));
  });

  it.each(['/api/account/ws', '/api/%61ccount/ws', '/api/account%2Fws', '/api//account/ws'])('the partner cannot open %s (a narrowed route): 403, the backend never sees it', async (path) => {
    reached.length = 0;
    const r = await raw(proxy.port, path, { headers: { ...UPGRADE, Origin: PARTNER, Cookie: 'session=victim' } });
    expect(r.status).toBe(403);
    expect(reached).toEqual([]);
  });

  it('the app can (the check can let one through)', async () => {
    reached.length = 0;
    const r = await raw(proxy.port, '/api/%61ccount/ws', { headers: { ...UPGRADE, Origin: APP, Cookie: 'session=user' } });
    expect(r.status).toBe(101);
    expect(reached).toEqual(['/api/%61ccount/ws']);
  });

  it('a target the profile refuses (a dot segment) is 400 before anything reaches the backend', async () => {
    reached.length = 0;
    const r = await raw(proxy.port, '/api/x/../account/ws', { headers: { ...UPGRADE, Origin: APP } });
    expect(r.status).toBe(400);
    expect(reached).toEqual([]);
  });
});
