import { normaliseConfiguredOrigin, parseRequestOrigin } from '../../packages/cors-sentinel/src/origin/parse';

describe('parseRequestOrigin', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['HTTPS://APP.Example.com', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://localhost:80', 'http://localhost'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['https://[::1]:8443', 'https://[::1]:8443'],
    ['capacitor://localhost', 'capacitor://localhost'],
    ['chrome-extension://abcdef', 'chrome-extension://abcdef'],
    ['file://', 'file://'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'],
  ])('parses %s as %s', (raw, origin) => {
    expect(parseRequestOrigin(raw)?.origin).toBe(origin);
  });

  it.each([
    '', 'null', 'app.example.com', '//app.example.com', 'https:/app.example.com', 'https://', 'https://app.example.com/',
    'https://app.example.com/path', 'https://u@app.example.com', 'https://app.example.com?q', 'https://app.example.com#f',
    'https://app.example.com:', 'https://app.example.com:65536', 'https://app.example.com:123456', 'https://app.example.com:-1',
    'https://.example.com', 'https://a..example.com', 'https://bücher.example', 'https://app example.com',
    'https://app.example.com\r\n', 'https://[::1', 'https://[]', 'file://host', 'file://:80', '1https://a.com',
    `https://${'a'.repeat(300)}.com`,
  ])('refuses %j', (raw) => {
    expect(parseRequestOrigin(raw)).toBeUndefined();
  });
});

describe('normaliseConfiguredOrigin', () => {
  it('normalises case, default ports, IDN and a lone trailing slash', () => {
    const r = normaliseConfiguredOrigin('HTTPS://Bücher.Example:443/');
    expect(r).toEqual({ ok: true, hadTrailingSlash: true, parsed: { origin: 'https://xn--bcher-kva.example', scheme: 'https', host: 'xn--bcher-kva.example', port: '' } });
  });
  it('explains what is wrong', () => {
    expect(normaliseConfiguredOrigin('app.example.com')).toMatchObject({ ok: false, code: 'invalid_origin' });
    expect(normaliseConfiguredOrigin(' https://a.com')).toMatchObject({ ok: false, code: 'invalid_origin' });
    expect(normaliseConfiguredOrigin('https://a.com/x')).toMatchObject({ ok: false, code: 'origin_has_path' });
  });
});
