/**
 * The generated traffic (./traffic.ts) on the wire: the headers a browser (or an attacker's script)
 * sends for a request shape, what a browser makes of the answer, and the `cors_json` access-log line a
 * reflecting nginx writes for it.
 */
import type { Reply } from '../support/http';
import type { Request, Shape } from './traffic';

/** The request headers of one shape; the preflight asks for the method and headers of the request it precedes. */
export function requestHeaders(s: Shape): Record<string, string> {
  const h: Record<string, string> = { Origin: s.origin };
  if (s.secFetchSite !== 'absent') h['Sec-Fetch-Site'] = s.secFetchSite;
  if (s.preflight) {
    h['Access-Control-Request-Method'] = s.method;
    if (s.headers.length > 0) h['Access-Control-Request-Headers'] = s.headers.join(',');
  } else if (s.cookie) h.Cookie = 'sid=1';
  return h;
}

const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);
const list = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v.join(',') : (v ?? '')).split(',').map((x) => x.trim()).filter((x) => x !== '');

/**
 * Whether a browser lets the page have the answer (the Fetch standard's CORS check, and for a
 * preflight its method and header checks): the origin echoed, credentials granted when a cookie was
 * sent, every method and header asked for listed.
 */
export function browserAllows(s: Shape, reply: Reply): boolean {
  if (reply.headers['access-control-allow-origin'] !== s.origin) return false;
  if (!s.preflight) return !s.cookie || reply.headers['access-control-allow-credentials'] === 'true';
  if (reply.status < 200 || reply.status > 299) return false;
  const methods = list(reply.headers['access-control-allow-methods']);
  const headers = list(reply.headers['access-control-allow-headers']).map((x) => x.toLowerCase());
  return (SAFELISTED_METHODS.has(s.method) || methods.includes(s.method)) && s.headers.every((x) => headers.includes(x.toLowerCase()));
}

/** Whether the answer grants the origin at all — stricter than browserAllows, for origins that must get nothing. */
export function grantsOrigin(s: Shape, reply: Reply): boolean {
  const acao = reply.headers['access-control-allow-origin'];
  return acao === s.origin || acao === '*';
}

/**
 * The `cors_json` line (docs/proxy.md) of an nginx that reflects every origin with credentials —
 * `add_header Access-Control-Allow-Origin $http_origin always;` and the like — for one request at its time.
 */
export function reflectingNginxLine(r: Request): string {
  const s = r.shape;
  return JSON.stringify({
    time: new Date(r.at).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    http_origin: s.origin, host: 'api.example.com', scheme: 'https', http_sec_fetch_site: s.secFetchSite === 'absent' ? '' : s.secFetchSite,
    request_method: s.preflight ? 'OPTIONS' : s.method, uri: s.path, status: s.preflight ? '204' : '200',
    http_access_control_request_method: s.preflight ? s.method : '', http_access_control_request_headers: s.preflight ? s.headers.join(',') : '',
    sent_http_access_control_allow_origin: s.origin, sent_http_access_control_allow_credentials: 'true',
    sent_http_access_control_allow_methods: s.preflight ? 'GET, POST, PUT, PATCH, DELETE, OPTIONS' : '',
    sent_http_access_control_allow_headers: s.preflight ? s.headers.join(',') : '', sent_http_vary: 'Origin',
  });
}
