/**
 * One line of the `cors_json` nginx log format (docs/proxy.md) as the observer's request and
 * response. Keys are the nginx variable names, so the format documents itself. nginx's `escape=json`
 * writes an unset variable as "", which here means "header absent".
 */
import type { CorsRequest } from 'cors-sentinel/internal/engine/decision';
import { decodedPathReading } from 'cors-sentinel/internal/http/routing-path';
import type { AuditResponse, HeaderValue } from 'cors-sentinel/internal/observer/audit';
import { CORS_FIELDS } from './blindness';
import { PROBE_SIGNATURE_HEADER } from 'cors-sentinel/internal/http/probe-signature';

/** The nginx `log_format` the reader expects (one line; `escape=json` makes every value a valid JSON string). */
export const NGINX_LOG_FORMAT =
  "log_format cors_json escape=json '{\"time\":\"$time_iso8601\",\"http_origin\":\"$http_origin\",\"host\":\"$host\",\"scheme\":\"$scheme\"," +
  '"http_sec_fetch_site":"$http_sec_fetch_site","request_method":"$request_method","uri":"$uri","status":"$status",' +
  '"http_access_control_request_method":"$http_access_control_request_method",' +
  '"http_access_control_request_headers":"$http_access_control_request_headers",' +
  '"sent_http_access_control_allow_origin":"$sent_http_access_control_allow_origin",' +
  '"sent_http_access_control_allow_credentials":"$sent_http_access_control_allow_credentials",' +
  '"sent_http_access_control_allow_methods":"$sent_http_access_control_allow_methods",' +
  '"sent_http_access_control_allow_headers":"$sent_http_access_control_allow_headers",' +
  '"sent_http_vary":"$sent_http_vary","request_uri":"$request_uri","http_cors_sentinel_probe":"$http_cors_sentinel_probe"}\';';

export interface LogEntry {
  readonly request: CorsRequest;
  readonly response: AuditResponse;
  readonly rawOrigin: string | undefined;
  /** The line's own `time` (nginx's $time_iso8601) in epoch ms; undefined when absent or unreadable. */
  readonly time: number | undefined;
  /** Keys CORS needs that the line's object lacks (a log_format without them): the reader is blind to them. */
  readonly missing: readonly string[];
}

/** Response headers the format carries, by the key that holds them. */
const RESPONSE_KEYS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': 'sent_http_access_control_allow_origin',
  'access-control-allow-credentials': 'sent_http_access_control_allow_credentials',
  'access-control-allow-methods': 'sent_http_access_control_allow_methods',
  'access-control-allow-headers': 'sent_http_access_control_allow_headers',
  vary: 'sent_http_vary',
};

/** A parsed entry, or undefined for a line that is not one (counted as malformed by the caller). */
export function parseNginxJsonLine(line: string): LogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const f = value as Record<string, unknown>;
  const method = text(f.request_method);
  const uri = text(f.uri);
  const status = typeof f.status === 'number' ? f.status : Number(text(f.status));
  if (!method || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method) || uri === undefined || !Number.isInteger(status) || status < 100 || status > 999) return undefined;
  // nginx's $uri is the path nginx routed (decoded, slashes merged, dot segments resolved): the routing-path
  // contract reads it as it is; anything else is not an nginx $uri.
  const path = decodedPathReading(uri);
  if (path === undefined) return undefined;
  const origin = present(f.http_origin);
  const request: CorsRequest = {
    method,
    path,
    origin,
    host: present(f.host),
    secFetchSite: present(f.http_sec_fetch_site),
    accessControlRequestMethod: present(f.http_access_control_request_method),
    accessControlRequestHeaders: present(f.http_access_control_request_headers),
    ...probeFields(f),
  };
  const response: AuditResponse = { status, header: (name) => responseHeader(f, name, request) };
  return { request, response, rawOrigin: origin, time: timeOf(f.time), missing: CORS_FIELDS.filter((key) => !(key in f)) };
}

function responseHeader(f: Record<string, unknown>, name: string, request: CorsRequest): HeaderValue {
  const key = RESPONSE_KEYS[name];
  if (key === undefined) return undefined;
  // A format without the allow-methods/-headers keys judges preflights on the origin alone.
  if (!(key in f) && name === 'access-control-allow-methods') return request.accessControlRequestMethod;
  if (!(key in f) && name === 'access-control-allow-headers') return request.accessControlRequestHeaders;
  return present(f[key]);
}

/** An ISO 8601 time with a zone (what $time_iso8601 writes) in epoch ms: a time without a zone would be read as local time. */
function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/**
 * A signed probe's header, the request target it was signed over (`$request_uri`: `$uri` is decoded
 * and has no query) and the line's time, from which its signature window is measured (a log may be
 * read long after it was written). Nothing for a line without the header, or a format without them.
 */
function probeFields(f: Record<string, unknown>): Partial<CorsRequest> {
  const probe = present(f.http_cors_sentinel_probe);
  const target = present(f.request_uri);
  if (probe === undefined || target === undefined) return {};
  const at = timeOf(f.time);
  return { target, headers: { [PROBE_SIGNATURE_HEADER]: probe }, ...(at !== undefined ? { receivedAt: at / 1000 } : {}) };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** "" and "-" (nginx's placeholder without escape=json) mean absent. */
function present(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== '-' ? v : undefined;
}
