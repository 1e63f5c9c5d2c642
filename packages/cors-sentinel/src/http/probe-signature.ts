/**
 * The prober's identity (docs/prober.md#signed-probes): `cors-sentinel probe --key-file FILE` adds
 *
 *   CORS-Sentinel-Probe: t=<unix seconds>,n=<nonce>,s=<hex HMAC-SHA256>
 *
 * to every request, the MAC taken with a key shared with the target over
 * `cors-sentinel-probe-v1 \n METHOD \n request-target \n Origin \n t \n n`. A target given the same key
 * (`probeKey`) counts a request whose signature verifies, within ±300 s of its clock, apart from real
 * traffic: its origin mutations are the prober's, not an attacker's. Nobody without the key can make a
 * signature verify; a captured one can be replayed within its window for the same method, target and
 * Origin only (docs/threat-model.md). Every field is joined by a newline, which none of them can hold
 * (a method is a token, a target and header values carry no line breaks, `t` and `n` are checked).
 *
 * Node's crypto only: this file sits in the lowest layer, shared by the prober (which signs) and every
 * entry that verifies.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The request header that carries a probe's signature (lower case, as Node hands headers over). */
export const PROBE_SIGNATURE_HEADER = 'cors-sentinel-probe';
/** The least key length accepted: a shorter key could be guessed offline from one captured probe. */
export const MIN_PROBE_KEY_BYTES = 32;
/** How far a probe's timestamp may be from the target's clock, either way. */
export const PROBE_SIGNATURE_WINDOW_SECONDS = 300;

const CONTEXT = 'cors-sentinel-probe-v1';
/** A header longer than this is not one the prober wrote: refused before any parsing. */
const MAX_HEADER_LENGTH = 160;
const HEADER_SHAPE = /^t=(\d{1,12}),n=([A-Za-z0-9_-]{16,64}),s=([0-9a-f]{64})$/;

/** Why a probe signature was not accepted: the `reason` of `cors_probe_signature_failures_total`. */
export const PROBE_SIGNATURE_FAILURES = ['malformed', 'expired', 'mismatch'] as const;
export type ProbeSignatureFailure = (typeof PROBE_SIGNATURE_FAILURES)[number];
export type ProbeSignatureResult = 'valid' | ProbeSignatureFailure;

/** What a signature covers. `target`: the request target as sent (path and query, origin-form). */
export interface SignedRequest {
  readonly method: string;
  readonly target: string;
  readonly origin: string | undefined;
}

function mac(key: Uint8Array, req: SignedRequest, t: string, n: string): Buffer {
  return createHmac('sha256', key).update(`${CONTEXT}\n${req.method}\n${req.target}\n${req.origin ?? ''}\n${t}\n${n}`).digest();
}

/** The header value for one request, signed at `nowSeconds` (default: now) with a fresh random nonce. */
export function signProbe(key: Uint8Array, req: SignedRequest, nowSeconds: number = Math.floor(Date.now() / 1000)): string {
  const t = String(Math.floor(nowSeconds));
  const n = randomBytes(12).toString('base64url');
  return `t=${t},n=${n},s=${mac(key, req, t, n).toString('hex')}`;
}

/**
 * Checks a received header value. Never throws, whatever `header` holds (a repeated header arrives
 * joined, or as an array: malformed). The MAC is compared in constant time.
 */
export function verifyProbe(
  key: Uint8Array, header: unknown, req: SignedRequest, nowSeconds: number = Date.now() / 1000,
): ProbeSignatureResult {
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return 'malformed';
  const m = HEADER_SHAPE.exec(header);
  if (m === null) return 'malformed';
  const [, t, n, s] = m as unknown as [string, string, string, string];
  if (Math.abs(Number(t) - nowSeconds) > PROBE_SIGNATURE_WINDOW_SECONDS) return 'expired';
  return timingSafeEqual(mac(key, req, t, n), Buffer.from(s, 'hex')) ? 'valid' : 'mismatch';
}

/**
 * Key material as bytes: a string is taken as UTF-8 (a hex string from `openssl rand -hex 32` is
 * used as its 64 characters, not decoded), a Buffer or Uint8Array as is. Undefined for anything else.
 */
export function probeKeyBytes(key: unknown): Buffer | undefined {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return Buffer.from(key);
  return undefined;
}

/**
 * Reads a key file as both sides do: its bytes, less trailing whitespace (the newline an editor or
 * `openssl rand -hex 32 > key` leaves). Throws an Error naming the file and the fix.
 */
export function readProbeKeyFile(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read the probe key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let end = bytes.length;
  while (end > 0 && [0x0a, 0x0d, 0x20, 0x09].includes(bytes[end - 1] as number)) end--;
  const key = bytes.subarray(0, end);
  if (key.length < MIN_PROBE_KEY_BYTES) {
    throw new Error(`the probe key file ${path} holds ${key.length} bytes; at least ${MIN_PROBE_KEY_BYTES} are needed: generate one with \`openssl rand -hex 32 > ${path}\``);
  }
  return Buffer.from(key);
}
