/** The engine's vocabulary: what it is asked and what it answers. No framework types here. */

/** Why a cross-origin request was rejected. A fixed set: it is a metric label. */
export const REASONS = [
  'origin_not_allowed',
  'null_origin',
  'invalid_origin',
  'insecure_origin',
  'method_not_allowed',
  'header_not_allowed',
  'headers_too_large',
  'credentials_not_allowed',
  'private_network_not_allowed',
  'resolver_error',
  'resolver_timeout',
  // The `localServer` preset's Host allowlist: a DNS-rebinding attempt, or a client using another name.
  'host_not_allowed',
] as const;
export type Reason = (typeof REASONS)[number];

export type RequestType = 'preflight' | 'actual' | 'non_cors';
export type Outcome = 'allowed' | 'rejected';

/** How an allowed origin was recognised (decides how it may be labelled in metrics). */
export type OriginSource = 'exact' | 'wildcard' | 'regexp' | 'any' | 'null' | 'resolver';

/** What the engine needs to know about a request. Header values as received, or undefined. */
export interface CorsRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly origin: string | undefined;
  /** The `Host` header, to recognise same-origin requests that carry an Origin. */
  readonly host?: string | undefined;
  /**
   * The scheme the request reached the server with, when the caller knows it for certain. Left
   * undefined, the engine reads `https` from the connection's `encrypted` when it needs the scheme
   * (an Origin naming the request's own host), and knows nothing from a plain socket, which may sit
   * behind a TLS-terminating proxy. A same-host Origin whose scheme is known to differ is judged as
   * the cross-origin caller it is. Read it through {@link socketScheme}.
   */
  readonly scheme?: 'http' | 'https' | undefined;
  /**
   * The scheme a proxy that the framework trusts reports, read from `raw` only when an Origin names
   * the request's own host (never per request: reading it may cost an address check). Adapters pass
   * {@link SchemeReader}s that follow the framework's own trust setting; undefined: none.
   */
  readonly forwardedScheme?: SchemeReader | undefined;
  /** The port the connection arrived on (`socket.localPort`), for the `localServer` Host allowlist. */
  readonly localPort?: number | undefined;
  /**
   * The connection, when the caller holds one: its `localPort` is read only when a `localServer` Host
   * allowlist needs it (Node's getter is a call and two lookups per request), its `encrypted` only
   * when the scheme is needed.
   */
  readonly connection?: Connection | null | undefined;
  /**
   * Reads the connection off `raw` when the engine needs it and `connection` is not given: the
   * adapters' way, since on Express even the read of `req.socket` is a lookup in V8's runtime (every
   * request has a hidden class of its own) and most requests never need the connection.
   */
  readonly connectionOf?: ConnectionReader | undefined;
  readonly accessControlRequestMethod?: string | undefined;
  readonly accessControlRequestHeaders?: string | undefined;
  readonly accessControlRequestPrivateNetwork?: string | undefined;
  /** The `Sec-Fetch-Site` header (Fetch Metadata), for cross-origin request protection. */
  readonly secFetchSite?: string | undefined;
  /** Whether the request carries cookies: only credentialed cross-origin requests do. */
  readonly hasCookie?: boolean;
  /**
   * The request target as received (path and query), for tenant ids taken from the query string.
   * Default: `path`.
   */
  readonly target?: string | undefined;
  /**
   * When the request was received (Unix seconds), for a request judged later than it arrived (a
   * line of an access log): the prober's signature window is measured from it. Default: now.
   */
  readonly receivedAt?: number | undefined;
  /** Request headers by lower-case name, for tenant ids taken from a header. */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>> | undefined;
  /**
   * An opaque handle on the framework's own request, handed unchanged to `resolveOrigin`:
   * the IncomingMessage for Express and node:http, the FastifyRequest, the Koa Context.
   */
  readonly raw?: RequestHandle;
}

/** What an adapter hands to origin resolvers: its framework's request object. The engine never looks inside. */
export type RequestHandle = unknown;

/** What the engine reads of a connection (Node's socket; a TLSSocket has `encrypted: true`). */
export interface Connection {
  readonly encrypted?: unknown;
  readonly localPort?: number | undefined;
}

/** Reads the connection from a framework's request object. */
export type ConnectionReader = (raw: RequestHandle) => Connection | null | undefined;

type ConnectionSource = Pick<CorsRequest, 'connection' | 'connectionOf' | 'raw'>;

function connectionOf(req: ConnectionSource): Connection | null | undefined {
  return req.connection ?? req.connectionOf?.(req.raw);
}

/** The port the request's connection arrived on: `localPort`, else its connection's; undefined when unknown. */
export function localPortOf(req: Pick<CorsRequest, 'localPort'> & ConnectionSource): number | undefined {
  return req.localPort ?? connectionOf(req)?.localPort;
}

/** The scheme the request reached us with, when certain: `scheme`, else `https` on a TLS connection. */
export function socketScheme(req: Pick<CorsRequest, 'scheme'> & ConnectionSource): 'http' | 'https' | undefined {
  if (req.scheme !== undefined) return req.scheme;
  return connectionOf(req)?.encrypted === true ? 'https' : undefined;
}

/** Reads the request's scheme from a framework's request object, when a trusted proxy reported it. */
export type SchemeReader = (raw: RequestHandle) => 'http' | 'https' | undefined;

/** The request's scheme when it is known: the socket's (TLS), else a trusted proxy's; else undefined. */
export function knownScheme(req: Pick<CorsRequest, 'scheme' | 'forwardedScheme'> & ConnectionSource): 'http' | 'https' | undefined {
  return socketScheme(req) ?? req.forwardedScheme?.(req.raw);
}

export type HeaderPair = readonly [name: string, value: string];

export interface Decision {
  /** The `route` label: the matched route's name or the default route's. */
  readonly route: string;
  readonly requestType: RequestType;
  /** undefined for non-CORS requests, which are neither allowed nor rejected. */
  readonly outcome: Outcome | undefined;
  readonly reason: Reason | undefined;
  /**
   * The normalised origin, `null` for the null origin, `__invalid__` for unparseable ones,
   * undefined for requests without an Origin.
   */
  readonly origin: string | undefined;
  readonly originSource: OriginSource | undefined;
  /** The configured pattern that admitted the origin (wildcard / regexp), for bounded labels. */
  readonly originPattern: string | undefined;
  /** CORS headers to set (never Vary: that is in `vary`). Empty for rejections. */
  readonly headers: readonly HeaderPair[];
  /** Header names to append to Vary. */
  readonly vary: readonly string[];
  /** For preflights the adapter ends: the status to answer with. */
  readonly status: number | undefined;
  /** For preflights: whether the adapter should pass the request on (`preflightContinue`). */
  readonly passThrough: boolean;
  /**
   * For the violation log only, on some rejections: the request's token that failed — the requested
   * method (`method_not_allowed`), the first header name not allowed (`header_not_allowed`) or the
   * refused Host (`host_not_allowed`).
   * Request text: escape and cap it before writing it anywhere.
   */
  readonly offending?: string | undefined;
}

export const INVALID_ORIGIN_LABEL = '__invalid__';
