/**
 * One proxied exchange over the undici pool: the request body is the client's stream, the response
 * body is piped back as it arrives (neither is ever buffered), and a failure is a 502/504 answer
 * counted by kind — or, once the response has started, a cut connection, which is all HTTP allows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import vary from 'vary';
import { classifyUpstreamError, statusFor, type UpstreamErrorKind } from './metrics';
import { connectionTokens, isHopByHop, upstreamRequestHeaders } from './headers';
import { isValidHostField } from '../http/tokens';

export interface ForwardSettings {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export interface ForwardHooks {
  /** Whether a backend response header may be written (enforce mode replaces the CORS ones). */
  keepResponseHeader(name: string): boolean;
  /** Called once the response head is written; `dropped` lists the backend headers left out. */
  responseStarted(dropped: readonly string[]): void;
  upstreamError(kind: UpstreamErrorKind): void;
  /** Set while the proxy drains: responses close their connection. */
  readonly draining: boolean;
}

export function forward(pool: Dispatcher, req: IncomingMessage, res: ServerResponse, settings: ForwardSettings, hooks: ForwardHooks): Promise<void> {
  const url = req.url ?? '';
  // Only origin-form targets: an absolute URL or `*` would make this an open forward proxy or confuse the backend.
  if (!url.startsWith('/') || url.startsWith('//')) return Promise.resolve(answer(res, 400, 'Bad Request'));
  // A Host the client malformed is the client's error (400), not the upstream's (undici threw: 502).
  const host = req.headers.host;
  if (host !== undefined && !isValidHostField(host)) return Promise.resolve(answer(res, 400, 'Bad Request'));
  const abort = new AbortController();
  const clientGone = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', clientGone);
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  // stream(): undici writes the body straight into `res` (with backpressure) and ends it; no
  // intermediate Readable, which halves the proxy's CPU per request compared with request() + pipeline.
  return pool
    .stream(
      {
        path: url,
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(req),
        body: hasBody ? req : null,
        signal: abort.signal,
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
      },
      ({ statusCode, headers }) => {
        writeHead(res, statusCode, headers as Record<string, string | string[] | undefined>, hooks);
        return res;
      },
    )
    .then(
      () => undefined,
      (err: unknown) => {
        if (abort.signal.aborted || (res.destroyed && isClientGone(err))) return; // the client left: not the upstream's fault
        const kind = classifyUpstreamError(err);
        hooks.upstreamError(kind);
        if (res.headersSent) res.destroy();
        else answer(res, statusFor(kind), kind === 'connect_timeout' || kind === 'response_timeout' ? 'Gateway Timeout' : 'Bad Gateway');
      },
    )
    .finally(() => res.off('close', clientGone));
}

/** Errors undici reports when the writable (the client's response) went away first. */
function isClientGone(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED' || code === 'UND_ERR_ABORTED';
}

function writeHead(res: ServerResponse, status: number, headers: Record<string, string | string[] | undefined>, hooks: ForwardHooks): void {
  const named = connectionTokens(headers.connection);
  const dropped: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || isHopByHop(name, named)) continue;
    if (!hooks.keepResponseHeader(name)) {
      dropped.push(name);
      continue;
    }
    // The CORS layer may have written Vary already: append, never overwrite (security rule 6).
    try {
      if (name === 'vary' && res.getHeader('vary') !== undefined) vary(res, Array.isArray(value) ? value.join(', ') : value);
      else res.setHeader(name, value);
    } catch {
      dropped.push(name); // a value Node refuses to write (control characters): the client never gets it
    }
  }
  if (hooks.draining) res.setHeader('connection', 'close');
  res.statusCode = status;
  hooks.responseStarted(dropped);
}

/** A short plain-text answer of the proxy itself; keeps CORS headers a layer already set. */
function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${text}\n`;
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
