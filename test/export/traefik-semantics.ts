/**
 * Traefik v3 read as its source says (traefik/traefik, docs/edge.md cites the files): routers sorted by
 * priority, highest first, the first whose rule matches wins (pkg/muxer/http/mux.go); PathRegexp and
 * HeaderRegexp run Go's unanchored MatchString, HeaderRegexp on any value of the header, false when it is
 * absent (matcher.go); the headers middleware answers a preflight (OPTIONS, non-empty Origin and
 * Access-Control-Request-Method) 200 itself and, on other requests, sets Access-Control-Allow-Origin
 * when the Origin equals a list item or a regex matches (pkg/middlewares/headers/header.go); ipAllowList
 * refuses a client outside its ranges with its rejectStatusCode. No server runs: this is the model.
 */
import { parse } from 'yaml';
import type { Req } from '../support/exchange';
import { re2 } from './decision-table';

interface HeadersMw {
  accessControlAllowOriginList?: string[]; accessControlAllowOriginListRegex?: string[]; accessControlAllowCredentials?: boolean; addVaryHeader?: boolean;
  customResponseHeaders?: Record<string, string>;
}
interface Middleware { headers?: HeadersMw; ipAllowList?: { sourceRange: string[]; rejectStatusCode?: number } }
interface Router { rule: string; priority: number; middlewares: string[] }
export interface TraefikConfig { http: { routers: Record<string, Router>; middlewares: Record<string, Middleware> } }

export interface TraefikAnswer { readonly router: string; readonly status: number | 'upstream'; readonly allowOrigin: string | undefined; readonly vary: boolean }

/** Go's regexp (RE2 syntax), unanchored like MatchString. */
const goRegExp = re2;

/** Reserved characters (and `%`) stay encoded in the routing path; every other %XX is decoded (mux.go withRoutingPath). */
const RESERVED = new Set(['3A', '2F', '3F', '23', '5B', '5D', '40', '21', '24', '26', '27', '28', '29', '2A', '2B', '2C', '3B', '3D', '25']);
export function routingPath(raw: string): string {
  return raw.replace(/%([0-9A-Fa-f]{2})/g, (whole, hex: string) => (RESERVED.has(hex.toUpperCase()) ? whole : String.fromCharCode(parseInt(hex, 16))));
}

/** Evaluates a rule of the v3 syntax (matchers, `!`, `&&`, `||`, parentheses) against a request. */
export function ruleMatches(rule: string, req: Req): boolean {
  let at = 0;
  const skip = (): void => void (at += /^\s*/.exec(rule.slice(at))![0].length);
  const header = (name: string): string | undefined => Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const path = routingPath((req.path ?? '/').split('?')[0] as string);
  const matcher = (name: string, args: string[]): boolean => {
    const [a, b] = args as [string, string];
    switch (name) {
      case 'PathPrefix': return path.startsWith(a);
      case 'PathRegexp': return goRegExp(a).test(path);
      case 'Method': return (req.method ?? 'GET') === a;
      case 'HeaderRegexp': return header(a) !== undefined && goRegExp(b).test(header(a) as string);
      default: throw new Error(`matcher ${name} not modelled`);
    }
  };
  const unary = (): boolean => {
    skip();
    if (rule[at] === '!') return (at++, !unary());
    if (rule[at] === '(') {
      at++;
      const v = or();
      skip();
      if (rule[at++] !== ')') throw new Error(`expected ) at ${at} in ${rule}`);
      return v;
    }
    const m = /^([A-Za-z]+)\(((?:`[^`]*`(?:, )?)*)\)/.exec(rule.slice(at));
    if (m === null) throw new Error(`unparsed rule at ${at}: ${rule.slice(at, at + 40)}`);
    at += m[0].length;
    return matcher(m[1] as string, [...(m[2] as string).matchAll(/`([^`]*)`/g)].map((x) => x[1] as string));
  };
  const and = (): boolean => {
    let v = unary();
    for (skip(); rule.startsWith('&&', at); skip()) {
      at += 2;
      v = unary() && v; // both sides are always parsed
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    for (skip(); rule.startsWith('||', at); skip()) {
      at += 2;
      v = and() || v;
    }
    return v;
  };
  const value = or();
  skip();
  if (at !== rule.length) throw new Error(`trailing text in rule: ${rule.slice(at)}`);
  return value;
}

function matchOrigin(h: HeadersMw, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  for (const item of h.accessControlAllowOriginList ?? []) if (item === origin || item === '*') return item === '*' && h.accessControlAllowCredentials === true ? origin : item;
  return (h.accessControlAllowOriginListRegex ?? []).some((re) => re2(re).test(origin)) ? origin : undefined;
}

export function traefikAnswer(yaml: string, req: Req): TraefikAnswer {
  const config = parse(yaml) as TraefikConfig;
  const routers = Object.entries(config.http.routers).sort(([, a], [, b]) => b.priority - a.priority);
  const found = routers.find(([, r]) => ruleMatches(r.rule, req));
  if (found === undefined) return { router: '(none)', status: 404, allowOrigin: undefined, vary: false };
  const [name, router] = found;
  const chain = router.middlewares.map((m) => config.http.middlewares[m] as Middleware);
  const vary = chain.some((m) => m.headers?.addVaryHeader === true || m.headers?.customResponseHeaders?.Vary !== undefined);
  const h = req.headers ?? {};
  for (const m of chain) {
    if (m.ipAllowList !== undefined) return { router: name, status: m.ipAllowList.rejectStatusCode ?? 403, allowOrigin: undefined, vary };
    const cors = m.headers;
    const hasCors = cors !== undefined && Object.keys(cors).some((k) => k.startsWith('accessControl') || k === 'addVaryHeader');
    if (hasCors && req.method === 'OPTIONS' && (h.Origin ?? '') !== '' && (h['Access-Control-Request-Method'] ?? '') !== '') {
      return { router: name, status: 200, allowOrigin: matchOrigin(cors, h.Origin), vary };
    }
  }
  const allowOrigin = chain.map((m) => (m.headers ? matchOrigin(m.headers, h.Origin) : undefined)).find((o) => o !== undefined);
  return { router: name, status: 'upstream', allowOrigin, vary };
}
