/**
 * Whether a request's Origin names the API itself (browsers send Origin on same-origin POSTs too):
 * an http(s) origin whose host[:port] equals the Host header. Runs on every actual request, so it
 * compares in place.
 */

/**
 * `scheme`: the scheme the request reached us with, when it is known (a TLS socket); undefined when
 * it is not (a plain socket may sit behind a TLS-terminating proxy). A custom-scheme origin such as
 * `capacitor://localhost` is never the API's own, whatever its host: only http(s) pages are served.
 *
 * Host names compare ASCII-case-insensitively (RFC 4343); anything else must match exactly, so no
 * Unicode case folding (U+212A KELVIN SIGN is not `k`) can make a foreign origin look like our own.
 */
export function isSameOrigin(origin: string, host: string | undefined, scheme?: 'http' | 'https'): boolean {
  if (host === undefined || host === '') return false;
  const https = startsWithIgnoringCase(origin, 'https://');
  if (!https && !startsWithIgnoringCase(origin, 'http://')) return false;
  if (scheme !== undefined && (scheme === 'https') !== https) return false;
  const start = https ? 8 : 7;
  const n = origin.length - start;
  if (host.length === n) return asciiEqualIgnoringCase(origin, start, host, n);
  // Host may carry the default port that Origin elides.
  const defaultPort = https ? ':443' : ':80';
  return host.length === n + defaultPort.length && host.endsWith(defaultPort) && asciiEqualIgnoringCase(origin, start, host, n);
}

function startsWithIgnoringCase(value: string, lowerPrefix: string): boolean {
  return value.length >= lowerPrefix.length && asciiEqualIgnoringCase(lowerPrefix, 0, value, lowerPrefix.length);
}

/** `a[from, from + n)` equals `b[0, n)`, ignoring the case of ASCII letters only. */
function asciiEqualIgnoringCase(a: string, from: number, b: string, n: number): boolean {
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(from + i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}
