/**
 * Issue 34, item 2, over real sockets: empty elements of `Access-Control-Request-Headers` (a trailing
 * comma, a leading one, an empty field line next to the real one, which Node joins as `, authorization`)
 * are ignored up to 16, as RFC 9110 §5.6.1.2 asks and jub0bs/cors does; more are refused. And
 * `methods: []` sends no empty `Access-Control-Allow-Methods` line.
 */
import { connect } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, send } from '../support/http';
import { metricSum } from '../support/sentinel';

const APP = 'https://app.example.com';
const POLICY: CorsSentinelOptions = { origins: [APP], credentials: true, methods: ['PUT'], allowedHeaders: ['authorization'] };

/** Sends raw request bytes (so that repeated and empty header lines reach the server as written); returns the response head. */
function rawRequest(port: number, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('end', () => resolve(text.split('\r\n\r\n')[0] as string));
    socket.on('error', reject);
  });
}

function preflightLines(acrhLines: readonly string[]): string[] {
  return ['OPTIONS /items/1 HTTP/1.1', 'Host: api.example.com', `Origin: ${APP}`, 'Access-Control-Request-Method: PUT', ...acrhLines.map((v) => `Access-Control-Request-Headers: ${v}`), 'Connection: close'];
}

describe('empty elements in Access-Control-Request-Headers (node:http handler)', () => {
  const registry = new Registry();
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(corsSentinelHandler({ ...POLICY, logger: false, metrics: { registry } }, (_req, res) => res.end('app')));
  });
  afterAll(() => server.close());

  test.each([
    ['a trailing comma', ['authorization,']],
    ['a leading comma and spaces', [' , authorization']],
    ["jub0bs's own vector", [',,authorization,,']],
    ['an empty field line before the real one', ['', 'authorization']],
    ['16 empty elements', [`authorization${','.repeat(16)}`]],
  ])('%s is ignored: 204 with the grant', async (_name, acrh) => {
    const head = await rawRequest(server.port, preflightLines(acrh));
    expect(head).toMatch(/^HTTP\/1\.1 204 /);
    expect(head).toMatch(/\r\naccess-control-allow-origin: https:\/\/app\.example\.com\r\n/i);
    expect(head).toMatch(/\r\naccess-control-allow-headers: authorization\r\n/i);
  });

  test.each([
    ['17 empty elements', [`authorization${','.repeat(17)}`]],
    ['17 empty field lines', [...Array.from({ length: 17 }, () => ''), 'authorization']],
  ])('%s are refused (403, headers_too_large)', async (_name, acrh) => {
    const before = await metricSum(registry, 'cors_violations_total', { reason: 'headers_too_large' });
    const head = await rawRequest(server.port, preflightLines(acrh));
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
    expect(head).not.toMatch(/access-control-allow-origin/i);
    expect(await metricSum(registry, 'cors_violations_total', { reason: 'headers_too_large' })).toBe(before + 1);
  });

  test('an unlisted name among empty elements is still refused', async () => {
    const head = await rawRequest(server.port, preflightLines([',x-evil,authorization,']));
    expect(head).toMatch(/^HTTP\/1\.1 403 /);
  });
});

describe('methods: [] (Express)', () => {
  test('a granted preflight carries no Access-Control-Allow-Methods line at all', async () => {
    const app = express();
    app.use(corsSentinel({ origins: [APP], methods: [], logger: false, metrics: { registry: new Registry() } }));
    app.all('/{*path}', (_req, res) => void res.send('app'));
    const server = await listen(app);
    try {
      const head = await rawRequest(server.port, ['OPTIONS /x HTTP/1.1', 'Host: api.example.com', `Origin: ${APP}`, 'Access-Control-Request-Method: POST', 'Connection: close']);
      expect(head).toMatch(/^HTTP\/1\.1 204 /);
      expect(head).toMatch(/\r\naccess-control-allow-origin: https:\/\/app\.example\.com\r\n/i);
      expect(head).not.toMatch(/access-control-allow-methods/i);
      // A method that is not safelisted is refused, as before.
      const put = await send(server.port, '/x', { Origin: APP, 'Access-Control-Request-Method': 'PUT' }, 'OPTIONS');
      expect(put.status).toBe(403);
    } finally {
      await server.close();
    }
  });
});
