/**
 * Generated HTTP/1.1 requests as raw bytes, for the fuzz suite: what a hostile client can put on a
 * socket, not what an HTTP client lets it. A batch is several requests a server may accept (odd
 * methods, absolute-form / asterisk / authority / unparseable targets, duplicate and over-long headers,
 * bodies framed by Content-Length or chunked), pipelined, then at most one that no server should
 * accept (garbage request lines, bad versions, obs-fold, bad framing, NUL, over-long heads).
 */
import fc from 'fast-check';

export const APP = 'https://app.example.com';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}$/;
const token = fc.stringMatching(TOKEN);
/** Visible ASCII, space and obs-text (bytes 0x80–0xff, written as latin1). */
const fieldText = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) }, { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) }).map((c) => String.fromCharCode(c)), maxLength });
const pathText = fc.string({ unit: fc.constantFrom(...'abc/%.;?#=&-_~+:@!$\'()*,[]AZ09'.split('')), maxLength: 40 });

/** Methods Node's parser accepts (it refuses others with 400, which ends the connection: see hostileRequest). */
const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('CONNECT', 'TRACE', 'PROPFIND', 'M-SEARCH', 'PURGE', 'LOCK', 'SEARCH') },
);
const anyMethod = fc.oneof(method, fc.constantFrom('TRACK', 'QUERY', 'get', 'Options'), token);

const target = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '/', '/api/account/me', '/api/%61ccount/me', '/api/account%2fme', '/api//account/me', '//api/account/me', '/api/me;x=1',
      '/webhooks/x', '/api/../api/account/me', '/%', '/%zz', '/%00', '/?q=%', '/metrics', '/healthz', '/probe?target=http://[&module=x',
      '*', 'http://[', 'http://[/x', 'http://[::1', 'https://[::1]:99999/', 'http://a:b/', 'http://host/webhooks/x',
      'http://host/api/account/me', 'HTTP://HOST/API', 'example.com:443', 'http://%zz/', 'http://a b/', 'http://@/', 'file:///etc/passwd',
      '//evil.test/api', '/\\evil.test', 'http://[fe80::1%25eth0]/',
    ),
  },
  { weight: 8, arbitrary: pathText.map((p) => `/${p}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('http', 'https', 'ws', 'x'), pathText, pathText).map(([s, h, p]) => `${s}://${h}/${p}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => `/${'a/'.repeat(n)}`) },
);

const origin = fc.oneof(
  fc.constantFrom(APP, 'https://partner.example.com', 'null', 'https://evil.test', 'http://[', '*', 'https://app.example.com.evil.test', 'file://', 'capacitor://localhost', 'https://APP.example.com:443', 'https://app.example.com, https://evil.test', ''),
  fc.tuple(fc.constantFrom('http://', 'https://', ''), pathText).map(([s, h]) => s + h),
  fieldText(64),
);

/** Header names a CORS layer reads, and others. */
const headerName = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'Origin', 'Host', 'Access-Control-Request-Method', 'Access-Control-Request-Headers', 'Access-Control-Request-Private-Network',
      'Sec-Fetch-Site', 'Sec-Fetch-Mode', 'Sec-Fetch-Dest', 'Cookie', 'Authorization', 'Content-Type', 'Accept', 'Referer',
      'X-Forwarded-For', 'X-Forwarded-Proto', 'X_Forwarded_Host', 'Forwarded', 'X-Real-IP', 'X-Prometheus-Scrape-Timeout-Seconds', 'origin', 'ORIGIN',
    ),
  },
  { weight: 1, arbitrary: token },
);

const headerValue = (name: string): fc.Arbitrary<string> => {
  switch (name.toLowerCase()) {
    case 'origin':
      return origin;
    case 'access-control-request-method':
      return fc.oneof(method, fieldText(20));
    case 'access-control-request-headers':
      return fc.oneof(fc.array(fc.oneof(token, fc.constantFrom('content-type', 'cookie', 'x-a', '')), { maxLength: 20 }).map((l) => l.join(', ')), fc.integer({ min: 20, max: 400 }).map((n) => Array.from({ length: n }, (_, i) => `x-h${i}`).join(',')), fieldText(80));
    case 'sec-fetch-site':
      return fc.oneof(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none', 'CROSS-SITE', ''), fieldText(20));
    case 'x-prometheus-scrape-timeout-seconds':
      return fc.oneof(fc.constantFrom('10', '-1', '1e308', 'NaN', '0', '0.001'), fieldText(10));
    default:
      return fc.oneof({ weight: 60, arbitrary: fieldText(60) }, { weight: 1, arbitrary: fc.integer({ min: 1000, max: 9000 }).map((n) => 'v'.repeat(n)) });
  }
};

const header = headerName.chain((name) => headerValue(name).map((value) => `${name}: ${value.trim()}`));
const host = fc.oneof(fc.constant('127.0.0.1'), fc.constant('app.example.com'), fc.constant('[::1]:80'), pathText, fc.constant(''));

const body = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 10, arbitrary: fc.oneof(fc.constantFrom('{"a":1}', '[]', '{"__proto__":{"x":1}}', '{"a":', '"\\u0000"', 'a=1&b=%zz', ''), fieldText(200)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 40_000 }).map((n) => 'x'.repeat(n)) },
);

/** A request a server may accept: tokens where HTTP wants tokens, correct framing. */
export const routableRequest: fc.Arbitrary<string> = fc
  .record({
    method,
    target,
    host,
    headers: fc.array(header, { maxLength: 24 }),
    body,
    chunked: fc.boolean(),
    contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'),
  })
  .map((r) => {
    const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: ${r.host}`, ...r.headers.filter((h) => !/^(host|content-length|transfer-encoding|connection|upgrade|expect|content-type):/i.test(h))];
    if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
    if (r.body === undefined) return `${lines.join('\r\n')}\r\n\r\n`;
    const bytes = Buffer.byteLength(r.body, 'latin1');
    if (r.chunked) return `${lines.join('\r\n')}\r\nTransfer-Encoding: chunked\r\n\r\n${bytes.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`;
    return `${lines.join('\r\n')}\r\nContent-Length: ${bytes}\r\n\r\n${r.body}`;
  });

/** A request no conforming server accepts: each should get a 4xx or a closed socket. */
export const hostileRequest: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 300 }).map((g) => `${g}\r\n\r\n`),
  fc.tuple(anyMethod, target, fc.constantFrom('HTTP/9.9', 'HTTP/1.1x', 'HTTP/0.9', 'HTTP/1', 'http/1.1', 'HTTP/1.1 ', '', 'HTTP/2.0')).map(([m, t, v]) => `${m} ${t} ${v}\r\nHost: a\r\n\r\n`),
  fc.tuple(anyMethod, fieldText(50)).map(([m, t]) => `${m} ${t} HTTP/1.1\r\nHost: a\r\n\r\n`),
  fc.tuple(anyMethod, target).map(([m, t]) => `${m} ${t} HTTP/1.1\r\nHost: a\r\n\r\n`),
  fc.constantFrom(
    'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n b\r\n\r\n', // obs-fold
    'GET / HTTP/1.1\r\nHost: a\r\n X-A: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nOrigin: a\u0000b\r\n\r\n',
    'GET / HTTP/1.1\nHost: a\n\n',
    'GET / HTTP/1.1\rHost: a\r\r',
    'GET / HTTP/1.1\r\n\r\n', // no Host
    'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext="\r\nhello\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n',
    'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    '\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
  ),
  fc.integer({ min: 20_000, max: 70_000 }).map((n) => `GET /${'a'.repeat(n)} HTTP/1.1\r\nHost: a\r\n\r\n`),
  fc.integer({ min: 17_000, max: 40_000 }).map((n) => `GET / HTTP/1.1\r\nHost: a\r\nOrigin: ${'o'.repeat(n)}\r\n\r\n`),
  fc.integer({ min: 101, max: 1500 }).map((n) => `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: n }, (_, i) => `Origin: https://o${i}.test\r\n`).join('')}\r\n`),
);

/** A connection's worth of traffic: routable requests pipelined, maybe one hostile one last. */
export const batch = fc.record({
  routable: fc.array(routableRequest, { minLength: 1, maxLength: 40 }),
  hostile: fc.option(hostileRequest, { freq: 3 }),
});
export type Batch = { routable: string[]; hostile: string | null };
