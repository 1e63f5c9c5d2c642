/**
 * One proxied exchange over the undici pool. The client's body is read first (up to a buffer limit, at
 * a minimum pace: see admission.ts), then an upstream slot is taken (or 503 after a bounded wait), and
 * only then is the backend contacted; the response body is piped back as it arrives. A failure is a
 * 502/504 answer counted by kind — or, once the response has started, a cut connection, which is all
 * HTTP allows.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import vary from 'vary';
import { hasRequestBody, readClientBody, type ClientBody, type ClientBodyLimits, type UpstreamSlots } from './admission';
import { classifyUpstreamError, statusFor, type RefusalReason, type UpstreamErrorKind } from './metrics';
import { connectionTokens, isHopByHop, isOriginForm, upstreamRequestHeaders } from './headers';
import { isValidHostField } from 'cors-sentinel/internal/http/tokens';

export interface ForwardSettings {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly clientBody: ClientBodyLimits;
  readonly slots: UpstreamSlots;
}

export interface ForwardHooks {
  /** Whether a backend response header may be written (enforce mode replaces the CORS ones). */
  keepResponseHeader(name: string): boolean;
  /** Called once the response head is written; `dropped` lists the backend headers left out. */
  responseStarted(dropped: readonly string[]): void;
  upstreamError(kind: UpstreamErrorKind): void;
  /** The proxy answered the request itself (408, 503) instead of forwarding it. */
  refused(reason: RefusalReason): void;
  /** Set while the proxy drains: responses close their connection. */
  readonly draining: boolean;
}

const NO_BODY: ClientBody = { kind: 'none' };

export async function forward(pool: Dispatcher, req: IncomingMessage, res: ServerResponse, settings: ForwardSettings, hooks: ForwardHooks): Promise<void> {
  // Only origin-form targets: an absolute URL or `*` would make this an open forward proxy or confuse the backend.
  if (!isOriginForm(req.url ?? '')) return answer(res, 400, 'Bad Request');
  // A Host the client malformed is the client's error (400), not the upstream's (undici threw: 502).
  const host = req.headers.host;
  if (host !== undefined && !isValidHostField(host)) return answer(res, 400, 'Bad Request');
  const abort = new AbortController();
  const clientGone = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.once('close', clientGone);
  // A pipelined response still waiting its turn hears nothing when the connection dies (Node 20): without
  // this its exchange would hold an upstream slot for good.
  const socket = req.socket;
  socket.once('close', clientGone);
  try {
    const body = hasRequestBody(req) ? await readClientBody(req, settings.clientBody) : NO_BODY;
    if (body.kind === 'gone') return;
    if (body.kind === 'too_slow') return refuse(res, hooks, 'client_body_too_slow');
    if (!settings.slots.tryTake()) {
      const waited = await settings.slots.wait(abort.signal);
      if (waited === 'gone') return void (body.kind === 'streaming' && body.pace.expired && hooks.refused('client_body_too_slow'));
      if (waited !== 'ok') return refuse(res, hooks, waited === 'queue_full' ? 'upstream_queue_full' : 'upstream_queue_timeout');
    }
    try {
      await exchange(pool, req, res, body, settings, hooks, abort);
    } finally {
      settings.slots.release();
    }
  } finally {
    res.off('close', clientGone);
    socket.off('close', clientGone);
  }
}

function exchange(pool: Dispatcher, req: IncomingMessage, res: ServerResponse, body: ClientBody, settings: ForwardSettings, hooks: ForwardHooks, abort: AbortController): Promise<void> {
  // stream(): undici writes the body straight into `res` (with backpressure) and ends it; no
  // intermediate Readable, which halves the proxy's CPU per request compared with request() + pipeline.
  return pool
    .stream(
      {
        path: req.url as string,
        method: (req.method ?? 'GET'),
        headers: upstreamRequestHeaders(req),
        body: body.kind === 'buffered' || body.kind === 'streaming' ? body.body : null,
        signal: abort.signal,
        headersTimeout: settings.headersTimeoutMs,
        bodyTimeout: settings.bodyTimeoutMs,
      },
      ({ statusCode, headers }) => {
        writeHead(res, statusCode, headers, hooks);
        return res;
      },
    )
    .then(
      () => undefined,
      (err: unknown) => {
        if (body.kind === 'streaming' && body.pace.expired) return void (res.headersSent ? cut(res) : refuse(res, hooks, 'client_body_too_slow'));
        if (abort.signal.aborted || (res.destroyed && isClientGone(err))) {
          // The client left (not the upstream's fault) — or its connection is alive and Node 24 closed a
          // pipelined response that undici destroyed while it waited its turn: that connection is cut (see cut).
          if (!req.socket.destroyed) cut(res);
          return;
        }
        const kind = classifyUpstreamError(err);
        hooks.upstreamError(kind);
        // undici destroys `res` itself when the backend's answer breaks after its head: no answer is possible then.
        if (res.headersSent || res.destroyed) cut(res);
        else answer(res, statusFor(kind), kind === 'connect_timeout' || kind === 'response_timeout' ? 'Gateway Timeout' : 'Bad Gateway');
      },
    );
}

const REFUSALS: Readonly<Record<RefusalReason, readonly [number, string]>> = {
  client_body_too_slow: [408, 'Request Timeout: the request body arrived too slowly'],
  client_limit: [429, 'Too Many Requests: too many requests in flight from this address'],
  upstream_queue_full: [503, 'Service Unavailable: no upstream connection free'],
  upstream_queue_timeout: [503, 'Service Unavailable: no upstream connection free in time'],
};

/** The proxy's own refusal: counted, and the connection closed (a half-read body cannot be resumed). */
export function refuse(res: ServerResponse, hooks: Pick<ForwardHooks, 'refused'>, reason: RefusalReason): void {
  hooks.refused(reason);
  const [status, text] = REFUSALS[reason];
  if (res.headersSent || res.destroyed) return void (res.writableFinished || cut(res));
  res.setHeader('connection', 'close');
  if (status !== 408) res.setHeader('retry-after', '1');
  answer(res, status, text);
}

/**
 * Ends a response that can no longer be completed by cutting its connection, which is all HTTP allows
 * once the head is out. A pipelined response still waiting for its turn has no socket yet: Node 20 and
 * 22 destroy the connection when it gets one, Node 24 no longer does (the client would wait,
 * unanswered, for Node's own timeouts), so the proxy does it on every version. The answers ahead of
 * it on the connection are delivered first.
 */
function cut(res: ServerResponse): void {
  res.destroy();
  if (!res.socket) res.once('socket', (socket: Socket) => socket.destroy());
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
