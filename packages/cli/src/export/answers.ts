/**
 * The answer headers of every route as columns: one per header name (after Access-Control-Allow-Origin,
 * in the middleware's order), holding each route's value on allowed actual answers and allowed preflights.
 * An edge writes a fixed list of header lines; an empty value writes none.
 */
import type { EdgeRoute } from './plan';

export interface HeaderColumn {
  readonly name: string;
  /** By route index: the value on an allowed actual answer, '' for none. */
  readonly actual: readonly string[];
  /** By route index: the value on an allowed preflight, '' for none. */
  readonly preflight: readonly string[];
}

/** The engine's order (engine/build-route.ts): credentials, then the actual answer's, then the preflight's. */
const ORDER = ['Access-Control-Allow-Credentials', 'Access-Control-Expose-Headers', 'Access-Control-Allow-Methods', 'Access-Control-Max-Age', 'Access-Control-Allow-Headers'];

export function headerColumns(routes: readonly EdgeRoute[]): HeaderColumn[] {
  const names: string[] = [];
  for (const r of routes) {
    for (const [name] of [...r.actualHeaders, ...r.preflightHeaders]) if (!names.includes(name)) names.push(name);
  }
  names.sort((a, b) => rank(a) - rank(b));
  return names.map((name) => ({
    name,
    actual: routes.map((r) => r.actualHeaders.find(([n]) => n === name)?.[1] ?? ''),
    preflight: routes.map((r) => r.preflightHeaders.find(([n]) => n === name)?.[1] ?? ''),
  }));
}

/** The Vary value of a route's actual answers and of its preflights (allowed or not). */
export function varyOf(route: EdgeRoute): { actual: string; preflight: string } {
  if (route.disabled) return { actual: '', preflight: '' };
  return { actual: route.actualVary.join(', '), preflight: route.preflightVary.join(', ') };
}

/** Names nginx and HAProxy variables can carry: `access_control_allow_credentials`. */
export function slug(headerName: string): string {
  return headerName.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

function rank(name: string): number {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}
