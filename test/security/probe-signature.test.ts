/**
 * The prober's signed identity (src/http/probe-signature.ts): a signature verifies only for the key,
 * method, target, Origin, timestamp and nonce it was made over, within ±300 s; nothing a client sends
 * makes verification throw.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  MIN_PROBE_KEY_BYTES, PROBE_SIGNATURE_WINDOW_SECONDS, readProbeKeyFile, signProbe, verifyProbe, type SignedRequest,
} from '../../packages/cors-sentinel/src/http/probe-signature';

const KEY = Buffer.from('k'.repeat(40));
const OTHER_KEY = Buffer.from('j'.repeat(40));
const NOW = 1_790_000_000;
const REQ: SignedRequest = { method: 'OPTIONS', target: '/api/me?x=1', origin: 'https://evil.attacker.invalid' };

/** The header's three fields, to rebuild it with one changed. */
function fields(header: string): { t: string; n: string; s: string } {
  const m = /^t=(\d+),n=([^,]+),s=([0-9a-f]+)$/.exec(header);
  if (!m) throw new Error(`unexpected header ${header}`);
  return { t: m[1] as string, n: m[2] as string, s: m[3] as string };
}

describe('signProbe / verifyProbe', () => {
  const header = signProbe(KEY, REQ, NOW);

  it('verifies what it signed, with the documented header shape', () => {
    expect(header).toMatch(/^t=1790000000,n=[A-Za-z0-9_-]{16},s=[0-9a-f]{64}$/);
    expect(verifyProbe(KEY, header, REQ, NOW)).toBe('valid');
    expect(verifyProbe(KEY, signProbe(KEY, { ...REQ, origin: undefined }, NOW), { ...REQ, origin: undefined }, NOW)).toBe('valid');
  });

  it('uses a fresh nonce each time', () => {
    expect(fields(signProbe(KEY, REQ, NOW)).n).not.toBe(fields(signProbe(KEY, REQ, NOW)).n);
  });

  it.each([
    ['method', { ...REQ, method: 'GET' }],
    ['target path', { ...REQ, target: '/api/admin?x=1' }],
    ['target query', { ...REQ, target: '/api/me?x=2' }],
    ['origin', { ...REQ, origin: 'https://other.attacker.invalid' }],
    ['origin removed', { ...REQ, origin: undefined }],
  ])('a changed %s does not verify', (_field, changed) => {
    expect(verifyProbe(KEY, header, changed, NOW)).toBe('mismatch');
  });

  it('a changed timestamp, nonce or MAC does not verify', () => {
    const { t, n, s } = fields(header);
    expect(verifyProbe(KEY, `t=${Number(t) + 1},n=${n},s=${s}`, REQ, NOW)).toBe('mismatch');
    expect(verifyProbe(KEY, `t=${t},n=${n.slice(1)}A,s=${s}`, REQ, NOW)).toBe('mismatch');
    const flipped = (s[0] === '0' ? '1' : '0') + s.slice(1);
    expect(verifyProbe(KEY, `t=${t},n=${n},s=${flipped}`, REQ, NOW)).toBe('mismatch');
  });

  it('another key does not verify', () => {
    expect(verifyProbe(OTHER_KEY, header, REQ, NOW)).toBe('mismatch');
    expect(verifyProbe(KEY, signProbe(OTHER_KEY, REQ, NOW), REQ, NOW)).toBe('mismatch');
  });

  it('is accepted within the window either way, and expired outside it (a replay later)', () => {
    const w = PROBE_SIGNATURE_WINDOW_SECONDS;
    expect(verifyProbe(KEY, header, REQ, NOW + w)).toBe('valid');
    expect(verifyProbe(KEY, header, REQ, NOW - w)).toBe('valid');
    expect(verifyProbe(KEY, header, REQ, NOW + w + 1)).toBe('expired');
    expect(verifyProbe(KEY, header, REQ, NOW - w - 1)).toBe('expired');
  });

  it.each([
    ['no header value', undefined],
    ['an array (repeated header)', [header, header]],
    ['two headers joined', `${header}, ${header}`],
    ['empty', ''],
    ['no signature', header.replace(/,s=.*$/, '')],
    ['no nonce', header.replace(/,n=[^,]+/, '')],
    ['no timestamp', header.replace(/^t=\d+,/, '')],
    ['fields reordered', (() => { const f = fields(header); return `n=${f.n},t=${f.t},s=${f.s}`; })()],
    ['upper-case MAC', header.replace(/s=([0-9a-f]+)$/, (_m, s: string) => `s=${s.toUpperCase()}`)],
    ['a short MAC', header.slice(0, -2)],
    ['spaces', header.replace(/,/g, ', ')],
    ['too long', `${header}${'a'.repeat(200)}`],
  ])('%s is malformed', (_case, value) => {
    expect(verifyProbe(KEY, value, REQ, NOW)).toBe('malformed');
  });

  it('never throws, whatever the header, key or request hold', () => {
    const text = fc.string({ maxLength: 300 });
    fc.assert(fc.property(
      fc.oneof(text, fc.constantFrom(header), text.map((s) => `t=${NOW},n=${'a'.repeat(16)},s=${s}`), fc.array(text), fc.anything()),
      fc.uint8Array({ minLength: 0, maxLength: 64 }),
      fc.record({ method: text, target: text, origin: fc.option(text, { nil: undefined }) }),
      fc.double(),
      (value, key, req, now) => {
        const result = verifyProbe(key, value, req, now);
        expect(['valid', 'malformed', 'expired', 'mismatch']).toContain(result);
      },
    ), { numRuns: 2000 });
  });
});

describe('readProbeKeyFile', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cors-probe-key-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the bytes less the trailing newline, as both sides do', () => {
    const hex = 'ab'.repeat(32);
    writeFileSync(join(dir, 'key'), `${hex}\r\n`);
    expect(readProbeKeyFile(join(dir, 'key')).toString()).toBe(hex);
  });

  it('refuses a short key and a missing file, naming the file and the fix', () => {
    writeFileSync(join(dir, 'short'), 'x'.repeat(MIN_PROBE_KEY_BYTES - 1));
    expect(() => readProbeKeyFile(join(dir, 'short'))).toThrow(/31 bytes; at least 32 are needed: generate one with `openssl rand -hex 32/);
    expect(() => readProbeKeyFile(join(dir, 'none'))).toThrow(/cannot read the probe key file .*none: ENOENT/);
  });
});
