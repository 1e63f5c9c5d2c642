/**
 * Forwarding headers as Flask sees them behind the proxy: gunicorn 20 maps `X_Forwarded_Proto` and
 * `X-Forwarded-Proto` to the same WSGI key (joined client-first) and trusts it from 127.0.0.1, and
 * Werkzeug's ProxyFix reads the result. Every client spelling of a header the proxy owns must be gone,
 * so that Flask's scheme, host and remote address are the proxy's word, not the client's.
 */
import net from 'node:net';
import { startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { describeIfCommand } from '../support/processes';
import { startProxy, type RunningProxy } from './support';

const ECHO_APP = `
from flask import Flask, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

app = Flask(__name__)
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

@app.route("/echo")
def echo():
    env = request.environ
    original = env.get("werkzeug.proxy_fix.orig", {})
    return jsonify(
        http={k: v for k, v in env.items() if k.startswith("HTTP_")},
        scheme=request.scheme,
        host=request.host,
        remote_addr=request.remote_addr,
        original_scheme=original.get("wsgi.url_scheme"),
    )
`;

/** Every spelling a client can use for the headers the proxy writes or drops. */
const SPOOFED = [
  'X_Forwarded_Proto: https',
  'X_Forwarded_Host: evil.example',
  'X_Forwarded_For: 203.0.113.66',
  'x-FORWARDED-proto: https',
  'X-Forwarded-Host: evil.example',
  'X-Forwarded-Port: 443',
  'X_Forwarded_Port: 443',
  'X-Forwarded-Ssl: on',
  'X-Forwarded-Protocol: ssl',
  'Forwarded: for=203.0.113.66;proto=https;host=evil.example',
  'X-Real-IP: 203.0.113.66',
  'X_Real_IP: 203.0.113.66',
  'Front-End-Https: on',
  'X-Url-Scheme: https',
];

interface Seen {
  http: Record<string, string>;
  scheme: string;
  host: string;
  remote_addr: string;
}

/** A raw request (node:http would lower-case, merge or refuse some of these lines). */
function rawGet(port: number, lines: readonly string[]): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const body = out.slice(out.indexOf('\r\n\r\n') + 4);
      try {
        resolve(JSON.parse(body) as Seen);
      } catch {
        reject(new Error(`not a JSON answer: ${out}`));
      }
    });
    socket.write(`GET /echo HTTP/1.1\r\nHost: api.example.com\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`);
  });
}

describeIfCommand('gunicorn')('forwarding headers as Flask (ProxyFix, gunicorn 20) sees them', () => {
  let flask: RunningGunicorn;
  let proxy: RunningProxy;
  beforeAll(async () => {
    flask = await startGunicorn({ source: ECHO_APP });
    proxy = await startProxy({ upstream: flask.url, policy: { origins: ['https://app.example.com'] } });
  });
  afterAll(async () => {
    await proxy?.stop();
    await flask?.stop();
  });

  it('the attack works against gunicorn directly (the control): the underscore spellings set the scheme and host', async () => {
    const direct = await rawGet(flask.port, SPOOFED);
    expect(direct.scheme).toBe('https');
    expect(direct.host).toBe('evil.example');
    expect(direct.http.HTTP_X_REAL_IP).toContain('203.0.113.66');
  });

  it('through the proxy Flask sees only the proxy\'s forwarding headers, whatever the client spelled', async () => {
    const seen = await rawGet(proxy.port, SPOOFED);
    expect(seen.scheme).toBe('http');
    expect(seen.host).toBe('api.example.com');
    expect(seen.remote_addr).toBe('127.0.0.1');
    expect(seen.http).toMatchObject({
      HTTP_X_FORWARDED_PROTO: 'http',
      HTTP_X_FORWARDED_HOST: 'api.example.com',
      HTTP_X_FORWARDED_FOR: '127.0.0.1',
      HTTP_X_REAL_IP: '127.0.0.1',
    });
    for (const key of ['HTTP_FORWARDED', 'HTTP_X_FORWARDED_PORT', 'HTTP_X_FORWARDED_SSL', 'HTTP_X_FORWARDED_PROTOCOL', 'HTTP_FRONT_END_HTTPS', 'HTTP_X_URL_SCHEME']) {
      expect(seen.http[key]).toBeUndefined();
    }
  });

  it('keeps a client X-Forwarded-For chain (exactly that spelling) and appends the peer', async () => {
    const seen = await rawGet(proxy.port, ['X-Forwarded-For: 198.51.100.1', 'X_Forwarded_For: 203.0.113.66']);
    expect(seen.http.HTTP_X_FORWARDED_FOR).toBe('198.51.100.1, 127.0.0.1');
    expect(seen.remote_addr).toBe('127.0.0.1'); // ProxyFix x_for=1 trusts the last hop: the proxy's peer
  });
});
