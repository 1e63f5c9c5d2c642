/**
 * Whether a request's Origin names the API itself (browsers send Origin on same-origin POSTs too):
 * its host[:port] equals the Host header. Runs on every actual request, so it compares in place.
 */

/**
 * Host names compare ASCII-case-insensitively (RFC 4343); anything else must match exactly, so no
 * Unicode case folding (U+212A KELVIN SIGN is not `k`) can make a foreign origin look like our own.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  const sep = origin.indexOf('://');
  if (sep === -1) return false;
  const start = sep + 3;
  const n = origin.length - start;
  if (host.length === n) return asciiEqualIgnoringCase(origin, start, host, n);
  // Host may carry the default port that Origin elides.
  const defaultPort = origin.startsWith('https://') ? ':443' : origin.startsWith('http://') ? ':80' : undefined;
  return defaultPort !== undefined && host.length === n + defaultPort.length && host.endsWith(defaultPort) && asciiEqualIgnoringCase(origin, start, host, n);
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
