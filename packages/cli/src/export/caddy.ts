/**
 * Caddy 2.6 (no CORS directive): named matchers on the request headers, a `map` from Origin to the
 * granted value, and one `handle` per route inside a `route`, so that the most specific route wins as
 * in the middleware. Preflights end in `respond`, never reaching `reverse_proxy`. Caddy's regexes are
 * Go's RE2; header_regexp sees whether a header is present. `A or B` is two matchers, each with the
 * same directives, since a named matcher is an AND of its lines.
 */
import { varyOf } from './answers';
import type { EdgePlan, EdgeRoute } from './plan';
import { CORS_RESPONSE_HEADERS } from './nginx';
import {
  allowedHeadersSource, exactOriginSource, methodsSource, ORIGIN_TOO_LONG, REQUEST_HEADERS_TOO_LARGE, routePathSource, wildcardOriginSource,
} from './regex';

export const CADDY_SNIPPET = 'cors.caddy';

/** A double-quoted Caddyfile token: the lexer unescapes only `\"`, so regex backslashes stay as written. */
function q(text: string): string {
  return `"${text.replace(/"/g, '\\"')}"`;
}

function originUnion(r: EdgeRoute): string {
  const alternatives = [
    ...r.exact.map((o) => {
      const { source, caseInsensitive } = exactOriginSource(o);
      return caseInsensitive ? `(?i:${source})` : source;
    }),
    ...r.wildcards.map(wildcardOriginSource),
  ];
  return `^(?:${alternatives.join('|')})$`;
}

function matchers(r: EdgeRoute, i: number): string[] {
  if (r.disabled) return [];
  const origin = r.anyOnly ? ['header_regexp Origin ^'] : [`header_regexp Origin ${q(originUnion(r))}`, `not header_regexp Origin ${q(`^${ORIGIN_TOO_LONG}`)}`];
  const preflight = ['method OPTIONS', ...origin, `header_regexp Access-Control-Request-Method ${q(`^${methodsSource(r.methods)}$`)}`,
    'not header_regexp Access-Control-Request-Private-Network ^true$'];
  const block = (name: string, lines: string[]): string => [`@${name} {`, ...lines.map((l) => `\t${l}`), '}'].join('\n');
  return [
    block(`cors_preflight_${i}`, ['method OPTIONS', 'header_regexp Origin ^', 'header_regexp Access-Control-Request-Method ^']),
    block(`cors_allow_${i}_bare`, [...preflight, 'not header_regexp Access-Control-Request-Headers ^']),
    block(`cors_allow_${i}_listed`, [...preflight, `header_regexp Access-Control-Request-Headers ${q(`(?i)^${allowedHeadersSource(r.allowedHeaders)}`)}`,
      `not header_regexp Access-Control-Request-Headers ${q(`^(?:${REQUEST_HEADERS_TOO_LARGE.join('|')})`)}`]),
    ...(r.anyOnly ? [] : [block(`cors_granted_${i}`, origin)]),
  ];
}

function originValue(r: EdgeRoute, i: number): string {
  return r.anyOnly ? '*' : `{cors_origin_${i}}`;
}

function originMap(r: EdgeRoute, i: number): string[] {
  if (r.disabled || r.anyOnly) return [];
  const entries = [
    ...r.exact.map((o) => {
      const { source, caseInsensitive } = exactOriginSource(o);
      return `\t${q(`~${caseInsensitive ? '(?i)' : ''}^${source}$`)} ${q(o)}`;
    }),
    ...r.wildcards.map((w) => `\t${q(`~^(${wildcardOriginSource(w)})$`)} "\${1}"`),
  ];
  return [`map {http.request.header.Origin} {cors_origin_${i}} {`, ...entries, '\tdefault ""', '}'];
}

function headerBlock(matcher: string, pairs: ReadonlyArray<readonly [string, string]>): string[] {
  return [`header ${matcher} {`, ...pairs.map(([n, v]) => `\t${n} ${q(v)}`), '}'];
}

function handleBody(r: EdgeRoute, i: number): string[] {
  if (r.disabled) return [];
  const vary = varyOf(r);
  const granted: Array<readonly [string, string]> = [['Vary', vary.preflight], ['Access-Control-Allow-Origin', originValue(r, i)], ...r.preflightHeaders];
  const out: string[] = [];
  for (const variant of ['bare', 'listed']) {
    out.push(...headerBlock(`@cors_allow_${i}_${variant}`, granted), `respond @cors_allow_${i}_${variant} ${r.preflightStatus}`);
  }
  out.push(`header @cors_preflight_${i} Vary ${q(vary.preflight)}`, `respond @cors_preflight_${i} ${r.rejectedStatus}`);
  if (vary.actual !== '') out.push(`header +Vary ${q(vary.actual)}`);
  out.push(...headerBlock(r.anyOnly ? '' : `@cors_granted_${i}`, [['Access-Control-Allow-Origin', originValue(r, i)], ...r.actualHeaders]));
  return out;
}

/** Site-level lines: `import` them in the site block that serves the API, before its handlers. */
export function caddySnippet(plan: EdgePlan): string {
  const { routes } = plan;
  const indent = (lines: string[], depth: number): string[] => lines.map((l) => `${'\t'.repeat(depth)}${l}`);
  // Each route's matcher excludes the more specific ones before it: the routes are disjoint, as selectRoute() makes them.
  const blocks = routes.flatMap((r, i) => {
    const head = r.pattern === undefined && i === 0 ? 'route {' : `route @cors_route_${i} {`;
    return [head, ...indent(handleBody(r, i), 1), '}'];
  });
  const selectors = routes.flatMap((r, i) => {
    // The target as received (path_regexp reads the decoded, cleaned path; reverse_proxy forwards the raw one).
    const earlier = routes.slice(0, i).map((e) => `\tnot vars_regexp {http.request.orig_uri} ${q(`(?i)${routePathSource(e.pattern!, true)}`)}`);
    const own = r.pattern === undefined ? [] : [`\tvars_regexp {http.request.orig_uri} ${q(`(?i)${routePathSource(r.pattern, true)}`)}`];
    return own.length + earlier.length === 0 ? [] : [`@cors_route_${i} {`, ...own, ...earlier, '}'];
  });
  return [
    '# cors-sentinel export (Caddy): import in the site block that serves the API. Generated: edit the policy, not this file.',
    ...selectors,
    ...routes.flatMap(matchers),
    ...routes.flatMap(originMap),
    ...blocks,
    '',
  ].join('\n');
}

/** A complete Caddyfile for `caddy run --config DIR/Caddyfile --adapter caddyfile` (admin endpoint off). */
export function caddyfile(plan: EdgePlan, upstreamHost: string, listen: string): string {
  const site = caddySnippet(plan).split('\n').filter((l) => l !== '').map((l) => `\t${l}`).join('\n');
  return `# cors-sentinel export (Caddy): run with caddy run --config DIR/Caddyfile --adapter caddyfile
{
	admin off
	auto_https off
}

http://${listen} {
${site}
	reverse_proxy ${upstreamHost} {
		# The edge owns CORS: a second layer behind it would send its own, conflicting headers.
${CORS_RESPONSE_HEADERS.map((h) => `\t\theader_down -${h}`).join('\n')}
	}
}
`;
}
