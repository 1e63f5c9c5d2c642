/**
 * One request to the probed URL with node:http(s): no redirects followed (only the one URL is
 * contacted), the body discarded, a timeout, and network failures turned into a ProbeFailure whose
 * message names the cause (DNS, TLS, connection, timeout) and what to check.
 */
import http from 'node:http';
import https from 'node:https';
import { PROBE_SIGNATURE_HEADER, signProbe } from 'cors-sentinel/internal/http/probe-signature';
import type { ProbeRequest, ProbeResponse } from './types';

export const FAILURE_REASONS = ['dns', 'tls', 'connection', 'timeout', 'protocol'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export class ProbeFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

const USER_AGENT = 'cors-sentinel-probe/1 (+https://github.com/cors-sentinel/cors-sentinel/blob/main/docs/prober.md)';

export interface SendSettings {
  readonly timeoutMs: number;
  readonly insecure: boolean;
  readonly signal?: AbortSignal;
  /** Sent with actual requests only (browsers send no cookies or Authorization on preflights). */
  readonly sendHeaders?: readonly (readonly [string, string])[];
  /** Body of actual POSTs (the user's opt-in), with its content type. */
  readonly body?: { readonly data: string; readonly contentType: string };
  /** Signs every request (`CORS-Sentinel-Probe`) for a target that holds the same key. */
  readonly probeKey?: Uint8Array;
}

export function send(url: URL, req: ProbeRequest, settings: SendSettings): Promise<ProbeResponse> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
  if (req.origin !== undefined) headers.origin = req.origin;
  if (req.requestMethod) headers['access-control-request-method'] = req.requestMethod;
  if (req.requestHeaders) headers['access-control-request-headers'] = req.requestHeaders;
  if (req.privateNetwork) headers['access-control-request-private-network'] = 'true';
  const lib = url.protocol === 'https:' ? https : http;
  const method = req.kind === 'preflight' ? 'OPTIONS' : (req.requestMethod ?? 'GET');
  if (req.kind === 'actual') {
    // Repeated names are joined the way a client would send them (one Cookie line, `;`-separated).
    // The user's own value replaces a default (user-agent, accept).
    const own = new Set<string>();
    for (const [name, value] of settings.sendHeaders ?? []) {
      const key = name.toLowerCase();
      headers[key] = own.has(key) ? `${headers[key]}${key === 'cookie' ? '; ' : ', '}${value}` : value;
      own.add(key);
    }
  }
  const body = method === 'POST' ? settings.body : undefined;
  if (body) headers['content-type'] = body.contentType;
  // Signed last, over what is sent: the method, the target Node writes on the request line, the Origin.
  if (settings.probeKey !== undefined) headers[PROBE_SIGNATURE_HEADER] = signProbe(settings.probeKey, { method, target: `${url.pathname}${url.search}`, origin: req.origin });
  return new Promise((resolve, reject) => {
    const r = lib.request(url, { method, headers, agent: false, rejectUnauthorized: !settings.insecure, signal: settings.signal }, (res) => {
      // The body is never needed (CORS lives in the headers), and a hostile target could stream it forever.
      res.on('error', () => undefined);
      res.destroy();
      resolve({ request: req, status: res.statusCode ?? 0, headers: groupHeaders(res.rawHeaders) });
    });
    r.setTimeout(settings.timeoutMs, () => r.destroy(new ProbeFailure('timeout', `no answer from ${url.host} within ${settings.timeoutMs} ms: raise --timeout, or check that the service is up`)));
    r.on('error', (err) => reject(describeFailure(url, err)));
    r.end(body?.data);
  });
}

function groupHeaders(raw: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) (out[(raw[i] as string).toLowerCase()] ??= []).push(raw[i + 1] as string);
  return out;
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_OSSL_|HOSTNAME_MISMATCH)/;

export function describeFailure(url: URL, err: unknown): ProbeFailure {
  if (err instanceof ProbeFailure) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? '';
  const host = url.hostname;
  if (e.name === 'AbortError') return new ProbeFailure('timeout', `the probe of ${url.href} ran past its deadline: raise the module timeout or lower the request budget`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_NODATA') {
    return new ProbeFailure('dns', `DNS lookup of ${host} failed (${code}): check the host name, or the resolver this process uses`);
  }
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(e.message)) {
    return new ProbeFailure('tls', `TLS handshake with ${url.host} failed (${code || e.message}): the certificate is not trusted by this machine; fix the chain, set NODE_EXTRA_CA_CERTS, or pass --insecure for a staging host`);
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT', 'EADDRNOTAVAIL'].includes(code)) {
    return new ProbeFailure('connection', `cannot connect to ${url.host} (${code}): is the service listening on that address and port?`);
  }
  return new ProbeFailure('protocol', `request to ${url.href} failed: ${code ? `${code} ` : ''}${e.message}`);
}
