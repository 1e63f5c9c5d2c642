/**
 * Route patterns: `/exact`, `/prefix/*` and `/prefix*`, matched case-insensitively like Express's
 * default router, most specific first. A CORS route that matched differently from the app's router
 * could apply a looser policy to a stricter path, so the rules are deliberately simple.
 */
import type { ProblemCollector } from './errors';

export type RouteKind = 'exact' | 'subtree' | 'prefix';

export interface RoutePattern {
  readonly kind: RouteKind;
  /** Lower-case literal part: `/api` for `/api/*`, `/products` for `/products*`. */
  readonly literal: string;
  readonly source: string;
}

export function parseRoutePattern(source: unknown, at: string, problems: ProblemCollector): RoutePattern | undefined {
  if (typeof source !== 'string' || !source.startsWith('/')) {
    problems.add(at, 'invalid_route_path', `expected a path starting with "/", got ${JSON.stringify(source)}`);
    return undefined;
  }
  let kind: RouteKind = 'exact';
  let literal = source;
  if (literal.endsWith('/*')) {
    kind = 'subtree';
    literal = literal.slice(0, -2);
  } else if (literal.endsWith('*')) {
    kind = 'prefix';
    literal = literal.slice(0, -1);
  }
  if (/[*?#:()\s]/.test(literal)) {
    problems.add(
      at,
      'invalid_route_path',
      `${JSON.stringify(source)}: only "/exact", "/prefix/*" and "/prefix*" patterns are supported (no parameters or inner wildcards)`,
    );
    return undefined;
  }
  literal = literal.toLowerCase();
  if (kind === 'exact' && literal.length > 1 && literal.endsWith('/')) literal = literal.slice(0, -1);
  return { kind, literal, source };
}

/** Whether `lowerPath` (already lower-cased) falls under the pattern. */
export function routeMatches(pattern: RoutePattern, lowerPath: string): boolean {
  const { literal } = pattern;
  switch (pattern.kind) {
    case 'exact':
      return lowerPath === literal || (lowerPath.length === literal.length + 1 && lowerPath.endsWith('/') && lowerPath.startsWith(literal));
    case 'subtree':
      return lowerPath.startsWith(literal) && (lowerPath.length === literal.length || lowerPath.charCodeAt(literal.length) === 0x2f);
    case 'prefix':
      return lowerPath.startsWith(literal);
  }
}

/** Orders patterns so that the first match is the most specific: exact, then longest literal, subtree before prefix. */
export function bySpecificity(a: RoutePattern, b: RoutePattern): number {
  const rank = (p: RoutePattern): number => (p.kind === 'exact' ? 0 : p.kind === 'subtree' ? 1 : 2);
  if (a.kind === 'exact' && b.kind !== 'exact') return -1;
  if (b.kind === 'exact' && a.kind !== 'exact') return 1;
  if (a.literal.length !== b.literal.length) return b.literal.length - a.literal.length;
  return rank(a) - rank(b);
}
