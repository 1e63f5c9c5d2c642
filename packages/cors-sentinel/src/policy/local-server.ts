/**
 * The `localServer` preset: what a server on localhost or a private address (an MCP server over
 * Streamable HTTP, a dev server, a local agent) needs so that the web pages its user visits cannot
 * drive it (docs/local-servers.md). It expands into existing options — the allowed origins,
 * `rejectActualRequests` (a foreign Origin gets 403 on every method, as the MCP specification
 * requires), cross-origin protection in enforce mode, Private Network Access answered for the listed
 * origins only — plus the one check CORS has no option for: a Host allowlist against DNS rebinding.
 *
 * Validated into the same problem collector as the rest of the policy; after the routes are read,
 * `checkLocalServerRoutes` makes sure no route took the guarantees back (`'*'`, reflection, CORS off,
 * `rejectActualRequests: false`).
 */
import { describe } from '../origin/describe';
import type { ConfigProblem, ProblemCollector } from './errors';
import type { CorsSentinelOptions, OriginSpec } from './options';

export type { LocalServerOptions } from './options';
export type { LocalServerProblemCode } from './errors';
import type { RouteSettings } from './route-settings';



/** The validated Host allowlist: names lower-case, IPv6 literals in brackets. */
export interface HostAllowlistSettings {
  /** Allowed with the port the request arrived on (the loopback names first). */
  readonly names: readonly string[];
  /** `host:port`, allowed exactly. */
  readonly hostPorts: readonly string[];
}

export const LOOPBACK_HOST_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

const KEYS = new Set(['allowedOrigins', 'allowedHosts', 'dangerouslyAllowNullOrigin']);
/** Options the preset sets itself: setting them too is a conflict, not a silent override. */
const OWNED = ['origins', 'origin', 'resolveOrigin', 'originStore', 'tenantFrom', 'dangerouslyAllowNullOrigin'] as const;

/** The preset, read and expanded: the options to validate as usual, and the Host allowlist. */
export interface ExpandedLocalServer {
  readonly options: CorsSentinelOptions;
  readonly hosts: HostAllowlistSettings;
  /** `allowedOrigins: []`: no page may call the server, which is not the mistake `no_origins` reports. */
  readonly noBrowserOrigins: boolean;
  /** For each expanded origin, its index in `localServer.allowedOrigins` (`'*'` is left out). */
  readonly originIndex: readonly number[];
}

/** Expands `options.localServer` (undefined when it is not set). Problems go to `problems`. */
export function expandLocalServer(options: CorsSentinelOptions, problems: ProblemCollector): ExpandedLocalServer | undefined {
  const value: unknown = options.localServer;
  if (value === undefined) return undefined;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  // Not an object: said once; the rest is read as an empty preset, so nothing else complains about it.
  if (!isObject) problems.add('localServer', 'invalid_type', `expected { allowedOrigins: [...], allowedHosts?: [...] }, got ${describe(value)}`);
  const o = (isObject ? value : { allowedOrigins: [] }) as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key)) problems.add(`localServer.${key}`, 'unknown_option', `unknown option ${JSON.stringify(key)} (known: ${[...KEYS].join(', ')})`);
  }
  const { origins, originIndex } = readAllowedOrigins(o.allowedOrigins, problems);
  const allowNull = o.dangerouslyAllowNullOrigin ?? false;
  if (typeof allowNull !== 'boolean') problems.add('localServer.dangerouslyAllowNullOrigin', 'invalid_type', `expected true or false, got ${describe(allowNull)}`);
  reportConflicts(options, problems);
  const cop = options.crossOriginProtection;
  const protection = typeof cop === 'object' && cop !== null ? { ...cop, mode: 'enforce' as const } : { mode: 'enforce' as const };
  const expanded: CorsSentinelOptions = {
    ...options,
    origins,
    rejectActualRequests: true,
    privateNetworkAccess: options.privateNetworkAccess ?? true,
    dangerouslyAllowNullOrigin: allowNull === true,
    crossOriginProtection: protection,
  };
  delete expanded.localServer;
  return { options: expanded, hosts: readAllowedHosts(o.allowedHosts, problems), noBrowserOrigins: origins.length === 0, originIndex };
}

/** The allowed origins without `'*'` (reported here), and each one's index in the user's list. */
function readAllowedOrigins(value: unknown, problems: ProblemCollector): { origins: OriginSpec[]; originIndex: number[] } {
  const origins: OriginSpec[] = [];
  const originIndex: number[] = [];
  if (!Array.isArray(value)) {
    problems.add('localServer.allowedOrigins', 'invalid_type', `expected an array of the browser origins that may call the server ([] for none), got ${describe(value)}`);
    return { origins, originIndex };
  }
  value.forEach((v: unknown, i) => {
    if (v === '*') return problems.add(`localServer.allowedOrigins[${i}]`, 'local_server_weakened', '"*" lets every web page the user visits drive the local server; list the origins that may');
    origins.push(v as OriginSpec);
    originIndex.push(i);
  });
  return { origins, originIndex };
}

/** The preset decides these; a second say would weaken it or be silently ignored. */
function reportConflicts(options: CorsSentinelOptions, problems: ProblemCollector): void {
  for (const key of OWNED) {
    if (options[key] !== undefined) problems.add(key, 'local_server_conflict', `localServer sets ${key} itself; ${key === 'dangerouslyAllowNullOrigin' ? 'use localServer.dangerouslyAllowNullOrigin' : 'list the origins in localServer.allowedOrigins'}`);
  }
  if (options.rejectActualRequests === false) {
    problems.add('rejectActualRequests', 'local_server_conflict', 'a local server answers a foreign Origin with 403 on every method (the MCP specification requires it); remove rejectActualRequests');
  }
  const cop = options.crossOriginProtection as unknown;
  if (cop === false || (typeof cop === 'object' && cop !== null && (cop as { mode?: unknown }).mode === 'report-only')) {
    problems.add('crossOriginProtection', 'local_server_conflict', 'a local server blocks cross-site form POSTs (enforce mode); remove the mode or the option');
  }
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]{2,45}\]$/;

function readAllowedHosts(value: unknown, problems: ProblemCollector): HostAllowlistSettings {
  const names: string[] = [...LOOPBACK_HOST_NAMES];
  const hostPorts: string[] = [];
  if (value === undefined) return { names, hostPorts };
  if (!Array.isArray(value)) {
    problems.add('localServer.allowedHosts', 'invalid_type', `expected an array of host names such as ['myapp.localhost', 'localhost:8080'], got ${describe(value)}`);
    return { names, hostPorts };
  }
  value.forEach((entry: unknown, i) => {
    const parsed = parseHostEntry(entry);
    if (typeof parsed === 'string') return problems.add(`localServer.allowedHosts[${i}]`, 'invalid_host', parsed);
    const list = parsed.port === undefined ? names : hostPorts;
    const text = parsed.port === undefined ? parsed.name : `${parsed.name}:${parsed.port}`;
    if (!list.includes(text)) list.push(text);
  });
  return { names, hostPorts };
}

/** A host entry, or what is wrong with it. */
function parseHostEntry(entry: unknown): { name: string; port: number | undefined } | string {
  if (typeof entry !== 'string' || entry === '') return `expected a host name such as "myapp.localhost" or "localhost:8080", got ${describe(entry)}`;
  if (/[/*?#@\s]/.test(entry) || entry.includes('://')) {
    return `${JSON.stringify(entry)}: a host is a name with an optional port, matched exactly (no scheme, path or wildcard)`;
  }
  const lower = entry.toLowerCase();
  const close = lower.startsWith('[') ? lower.indexOf(']') : -1;
  const colon = close === -1 ? lower.lastIndexOf(':') : lower.indexOf(':', close);
  const name = colon === -1 ? lower : lower.slice(0, colon);
  const portText = colon === -1 ? undefined : lower.slice(colon + 1);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!/^\d{1,5}$/.test(portText as string) || port < 1 || port > 65_535)) return `${JSON.stringify(entry)}: the port must be 1–65535`;
  if (!(HOST_NAME.test(name) || IPV4.test(name) || IPV6_LITERAL.test(name))) {
    return `${JSON.stringify(entry)} is not a host name, an IPv4 address or a bracketed IPv6 address${name.endsWith('.') ? ' (no trailing dot: browsers send the name as typed)' : ''}`;
  }
  return { name, port };
}

/**
 * Problems of the expanded `origins` are the user's `localServer.allowedOrigins`: say so. An empty list
 * is a deliberate "no page may call it", not the unset environment variable `no_origins` is about.
 */
export function relabelLocalServerProblems(problems: ProblemCollector, expanded: ExpandedLocalServer): void {
  const list = problems.problems;
  for (let i = list.length - 1; i >= 0; i--) {
    const p = list[i] as ConfigProblem;
    if (p.code === 'local_server_conflict' || !(p.path === 'origins' || p.path.startsWith('origins['))) continue;
    if (p.code === 'no_origins' && expanded.noBrowserOrigins) list.splice(i, 1);
    else list[i] = { ...p, path: `localServer.allowedOrigins${userIndex(p.path.slice('origins'.length), expanded.originIndex)}` };
  }
}

/** `[k]…` of the expanded list as `[i]…` of the user's. */
function userIndex(rest: string, originIndex: readonly number[]): string {
  const m = /^\[(\d+)\]/.exec(rest);
  if (m === null) return rest;
  return `[${originIndex[Number(m[1])] ?? m[1]}]${rest.slice(m[0].length)}`;
}

/** Every route must keep the preset's guarantees; `routes` are the validated settings, default first. */
export function checkLocalServerRoutes(routes: readonly { readonly at: string; readonly settings: RouteSettings }[], problems: ProblemCollector): void {
  for (const { at, settings } of routes) {
    const where = at === '' ? 'origins' : `${at}origins`;
    if (settings.origins.any || settings.setting.reflectAny) problems.add(where, 'local_server_weakened', 'a local server never allows any origin; list the origins that may call it');
    else if (settings.setting.disabled) problems.add(where, 'local_server_weakened', 'origin: false turns the Origin check off on this route; list the origins that may call it ([] for none)');
    if (!settings.rejectActualRequests) problems.add(`${at}rejectActualRequests`, 'local_server_weakened', 'a local server answers a foreign Origin with 403 on every route');
  }
}
