/**
 * A malformed Host is the client's error: RFC 9112 §3.2 asks for a 400. The proxy handed it to undici,
 * which threw (`[x` without `]`), and answered 502 as if the backend had failed (found by test/fuzz).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isValidHostField } from '../../packages/cors-sentinel/src/http/tokens';
import { rawExchange } from '../support/exchange';
import { startProxy } from './support';

it('tells valid Host field values from invalid ones', () => {
  for (const ok of ['app.example.com', 'app.example.com:8080', '127.0.0.1', '[::1]', '[::1]:80', 'xn--bcher-kva.example', 'a_b', '']) expect(isValidHostField(ok)).toBe(true);
  for (const bad of ['[', '[::1', '[,;;', 'a b', 'a/b', 'a?b', 'a#b', 'a@b', 'a:b:c', 'a:8o', 'ë']) expect(isValidHostField(bad)).toBe(false);
});

it('answers 400 to an invalid Host without contacting the backend, and forwards valid ones', async () => {
  let reached = 0;
  const backend = createServer((_req, res) => (reached++, res.end('ok')));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const proxy = await startProxy({ upstream: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`, policy: { origins: ['https://app.example.com'] } });
  try {
    for (const host of ['[,;;', '[A+=9', 'a b']) {
      const answer = (await rawExchange(proxy.port, `GET /api HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toString('latin1');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(reached).toBe(0);
    expect((await rawExchange(proxy.port, 'GET /api HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n')).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(reached).toBe(1);
  } finally {
    await proxy.stop();
    backend.close();
  }
});
