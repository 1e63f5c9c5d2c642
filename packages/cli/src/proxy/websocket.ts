/**
 * WebSocket (and any other HTTP/1.1 Upgrade) pass-through. CORS does not protect WebSockets: a
 * browser opens one to any site with the user's cookies and only sends `Origin` along, so the
 * server must judge it (cross-site WebSocket hijacking). The layer judges first; a refused upgrade
 * is answered 403 before anything reaches the backend. An accepted one becomes a byte pipe.
 */
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { upgradeRequestHead } from './headers';
import { classifyUpstreamError, statusFor, type UpstreamErrorKind } from './metrics';

export interface UpgradeSettings {
  readonly upstream: URL;
  readonly connectTimeoutMs: number;
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 403: 'Forbidden', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** Ends a not-yet-upgraded client connection with a bodiless status. */
export function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Whether an upgrade carries a credential the browser attached by itself. A page's script cannot set
 * headers on a WebSocket, so `Authorization` on one comes from the browser's HTTP-auth cache and is as
 * ambient as a cookie: a foreign page must not ride on either where the route grants no credentials.
 */
export function hasAmbientCredential(req: IncomingMessage): boolean {
  return req.headers.cookie !== undefined || req.headers.authorization !== undefined;
}

/** Only WebSocket is tunnelled; `h2c` and other upgrades would turn the proxy into a blind tunnel. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').trim().toLowerCase() === 'websocket' && req.method === 'GET';
}

/** Connects upstream, replays the request head and pipes both ways; `onError` counts upstream failures. */
export function pipeUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, settings: UpgradeSettings, onError: (kind: UpstreamErrorKind) => void): void {
  const { upstream: target } = settings;
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const upstream: Socket =
    target.protocol === 'https:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
  let connected = false;
  const timer = setTimeout(() => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), settings.connectTimeoutMs);
  upstream.once(target.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
    clearTimeout(timer);
    connected = true;
    upstream.write(upgradeRequestHead(req));
    upstream.pipe(client);
    let status = '';
    const readStatus = (chunk: Buffer): void => {
      status += chunk.subarray(0, 13 - status.length).toString('latin1');
      if (status.length < 13) return;
      upstream.off('data', readStatus);
      // Only a 101 opens the tunnel; until then nothing of the client's goes upstream. Otherwise the
      // backend answered an ordinary response: it is passed on and the connection carries nothing more,
      // so that it cannot smuggle requests past the proxy.
      if (/^HTTP\/1\.[01] 101 $/.test(status)) {
        if (head.length > 0) upstream.write(head);
        client.pipe(upstream);
      } else {
        upstream.end();
      }
    };
    upstream.on('data', readStatus);
  });
  upstream.on('error', (err) => {
    clearTimeout(timer);
    const kind = classifyUpstreamError(err);
    onError(kind);
    if (!connected) refuseUpgrade(client, statusFor(kind));
    else client.destroy();
  });
  upstream.on('close', () => {
    clearTimeout(timer);
    if (connected) client.destroy();
  });
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
}
