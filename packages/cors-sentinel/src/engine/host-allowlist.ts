/**
 * The Host allowlist of a local server (the `localServer` preset): DNS-rebinding protection.
 *
 * A page on `http://evil.example:PORT` whose name the attacker re-points at 127.0.0.1 is, to the
 * browser, same-origin with itself: it may read every answer, and its requests carry
 * `Host: evil.example:PORT` (and an Origin naming that host, or none at all). The Origin check cannot
 * see it; the Host can. A request passes only when its `Host` — and its HTTP/2 `:authority`, when
 * present — is a listed name with the port the connection arrived on, or a listed `name:port`,
 * compared whole (no prefix: `localhost.evil.example` and `127.0.0.1.nip.io` are other names).
 *
 * Pure: the adapter hands over the Host and the socket's local port (`socket.localPort`, which Node
 * caches per connection). The allowed `Host` values per port are built once, so a request costs one
 * Set lookup and allocates nothing unless its Host has upper-case letters.
 */
import type { HostAllowlistSettings } from '../policy/local-server';
import { parseRequestOrigin } from '../origin/parse';
import type { CompiledHostAllowlist, CompiledRoutePolicy } from './compiled';
import { INVALID_ORIGIN_LABEL, localPortOf, type CorsRequest, type Decision, type RequestType } from './decision';
import { rejection } from './decision-builder';

export type { CompiledHostAllowlist } from './compiled';

/** Ports a server listens on are few; beyond this many, a port's set is built per request (and not kept). */
const MAX_CACHED_PORTS = 32;

export function compileHostAllowlist(settings: HostAllowlistSettings): CompiledHostAllowlist {
  const { names, hostPorts } = settings;
  const byPort = new Map<number, ReadonlySet<string>>();
  /** Without a local port (a Unix socket, a caller that did not say) only explicit `name:port` entries pass. */
  const portless: ReadonlySet<string> = new Set(hostPorts);

  function allowedOn(port: number | undefined): ReadonlySet<string> {
    if (port === undefined) return portless;
    let set = byPort.get(port);
    if (set !== undefined) return set;
    const values = new Set(hostPorts);
    for (const name of names) values.add(`${name}:${port}`);
    // Browsers elide the scheme's default port from Host: on 80 and 443 the bare name is what arrives.
    if (port === 80 || port === 443) for (const name of names) values.add(name);
    set = values;
    if (byPort.size < MAX_CACHED_PORTS) byPort.set(port, set);
    return set;
  }

  function matches(value: string, allowed: ReadonlySet<string>): boolean {
    if (allowed.has(value)) return true;
    // Host names compare case-insensitively; lower-casing only allocates when there is something to lower.
    const lower = value.toLowerCase();
    return lower !== value && allowed.has(lower);
  }

  return Object.freeze({
    allows(host: string | undefined, authority: string | undefined, localPort: number | undefined): boolean {
      // No Host at all (HTTP/1.0) cannot be judged: refuse, as every browser sends one.
      if (host === undefined && authority === undefined) return false;
      const allowed = allowedOn(localPort);
      if (host !== undefined && !matches(host, allowed)) return false;
      return authority === undefined || matches(authority, allowed);
    },
    summary: Object.freeze({ names: Object.freeze([...names]), hostPorts: Object.freeze([...hostPorts]) }),
  });
}

/** Whether the request's Host (and HTTP/2 `:authority`) may be served. */
export function isHostAllowed(hosts: CompiledHostAllowlist, req: CorsRequest): boolean {
  const authority = req.headers?.[':authority'];
  return hosts.allows(req.host, typeof authority === 'string' ? authority : undefined, localPortOf(req));
}

/** Host refusals are answered 403, whatever the route's status for rejected preflights: the request never reached a handler. */
export const HOST_REFUSED_STATUS = 403;

/**
 * The decision for a request whose Host is not allowed: 403, no CORS headers, never passed on. Counted
 * as a preflight or an actual request like every rejection (a rebinding page's same-origin requests
 * carry no Origin: their origin label is empty).
 */
export function hostRefusal(route: CompiledRoutePolicy, req: CorsRequest): Decision {
  const origin = req.origin;
  const type: RequestType = req.method === 'OPTIONS' && origin !== undefined && req.accessControlRequestMethod !== undefined ? 'preflight' : 'actual';
  const label = origin === undefined ? undefined : origin === 'null' ? 'null' : (parseRequestOrigin(origin)?.origin ?? INVALID_ORIGIN_LABEL);
  // The refused Host goes to the violation log (escaped and capped there), never to a label.
  const authority = req.headers?.[':authority'];
  const offending = req.host ?? (typeof authority === 'string' ? authority : '(none)');
  return rejection(route.name, type, 'host_not_allowed', label, undefined, undefined, NO_VARY, HOST_REFUSED_STATUS, false, offending);
}

const NO_VARY: readonly string[] = Object.freeze([]);
