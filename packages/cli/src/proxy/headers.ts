/**
 * Header rules of the reverse proxy (RFC 9110 §7.6.1): hop-by-hop headers never cross it, neither the
 * fixed ones nor those a peer names in `Connection`; the forwarding headers are the proxy's own, written
 * after stripping every client spelling of them so that no `Connection: x-forwarded-for` can remove
 * them and no `X_Forwarded_Proto` can join them.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
]);

/**
 * Request headers this hop has already acted on: Node answered `Expect: 100-continue` itself, and the
 * upstream client (undici) refuses to send it on.
 */
const CONSUMED = new Set(['expect']);

/**
 * Headers that a `Connection` token may not remove: dropping them would change what the request
 * means (its target, its body framing, whom it comes from) rather than a per-hop detail.
 */
const PROTECTED = new Set(['host', 'content-length', 'content-type', 'origin', 'cookie', 'authorization']);

/** The CORS response headers enforce mode owns; the backend's copies are replaced. */
export const CORS_RESPONSE_HEADERS = new Set([
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age',
  'access-control-allow-private-network',
]);

/**
 * Whether a request header is one of the forwarding headers this hop owns, in any spelling: WSGI
 * servers (gunicorn 20, Werkzeug) and CGI-style stacks turn `_` and `-` into the same variable, and
 * gunicorn joins the two spellings client-first, so `X_Forwarded_Proto: https` would otherwise be
 * read as the scheme. `Forwarded` (RFC 7239) and `X-Real-IP` name the client too, so a client's copy is
 * a lie about itself; `Front-End-Https` and `X-Url-Scheme` are older spellings of the scheme.
 */
export function isForwardingHeader(name: string): boolean {
  const dashed = name.includes('_') ? name.replace(/_/g, '-') : name;
  return dashed.startsWith('x-forwarded-') || FORWARDING.has(dashed);
}

const FORWARDING = new Set(['forwarded', 'x-real-ip', 'front-end-https', 'x-url-scheme']);

/** Origin-form request targets only: an absolute URL, `//host` or `*` would make this an open forward proxy. */
export function isOriginForm(target: string): boolean {
  return target.startsWith('/') && !target.startsWith('//');
}

/** Lower-case header names listed in the Connection header(s), protected names excepted. */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (value === undefined) return out;
  for (const field of Array.isArray(value) ? value : [value]) {
    for (const token of field.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '' && !PROTECTED.has(name)) out.add(name);
    }
  }
  return out;
}

export function isHopByHop(name: string, named: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || named.has(name);
}

/** The headers to send upstream: end-to-end headers of the client's request plus X-Forwarded-*. */
export function upstreamRequestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const named = connectionTokens(req.headers.connection);
  const out: Record<string, string | string[]> = {};
  const raw = req.headers;
  for (const name of Object.keys(raw)) {
    if (isHopByHop(name, named) || CONSUMED.has(name) || isForwardingHeader(name)) continue;
    const value = raw[name];
    if (value !== undefined) out[name] = value;
  }
  addForwarded(out, req, raw);
  return out;
}

/**
 * X-Forwarded-For appends the peer to what the client sent under exactly that name (the nginx
 * `$proxy_add_x_forwarded_for` convention: the backend trusts only as many hops as it has proxies).
 * Proto, Host and X-Real-IP are replaced: this hop knows them, and a client-chosen value would lie
 * about the scheme, the public host or the peer. Every other forwarding header is dropped.
 */
function addForwarded(out: Record<string, string | string[]>, req: IncomingMessage, raw: IncomingHttpHeaders): void {
  const peer = req.socket.remoteAddress ?? '';
  const prior = raw['x-forwarded-for'];
  const chain = (Array.isArray(prior) ? prior.join(', ') : prior)?.trim();
  out['x-forwarded-for'] = chain ? `${chain}, ${peer}` : peer;
  out['x-forwarded-proto'] = req.socket instanceof TLSSocket ? 'https' : 'http';
  if (raw.host !== undefined) out['x-forwarded-host'] = raw.host;
  out['x-real-ip'] = peer;
}

/** Rebuilds a request head for a raw (upgrade) connection: the upgrade headers are the point, so they stay. */
export function upgradeRequestHead(req: IncomingMessage): string {
  const headers = upstreamRequestHeaders(req);
  headers.connection = 'Upgrade';
  const upgrade = req.headers.upgrade;
  if (upgrade !== undefined) headers.upgrade = upgrade;
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}
