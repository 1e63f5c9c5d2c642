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
  return sameAuthority(origin, host, 'https://', ':443', scheme) || sameAuthority(origin, host, 'http://', ':80', scheme);
}

/**
 * Whether `origin` is `prefix` followed by `host` (or by `host` without its default port). The host
 * part is compared before the scheme: a cross-origin request, the usual case, differs at its first
 * character and is answered without reading the scheme. The two prefixes exclude each other, so at most
 * one call can succeed.
 */
function sameAuthority(origin: string, host: string, prefix: string, defaultPort: string, scheme: 'http' | 'https' | undefined): boolean {
  const start = prefix.length;
  const n = origin.length - start;
  if (n <= 0) return false;
  // Host may carry the default port that Origin elides.
  if (host.length !== n && !(host.length === n + defaultPort.length && host.endsWith(defaultPort))) return false;
  if (!asciiEqualIgnoringCase(origin, start, host, n) || !startsWithIgnoringCase(origin, prefix)) return false;
  return scheme === undefined || (scheme === 'https') === (prefix === 'https://');
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
