/**
 * The fixed vocabulary of the prober: finding classes and severities. They are the label values of
 * `cors_probe_findings{class, severity}`, the SARIF rule ids and the JSON `class` field, so the set is
 * closed: adding a class is a change of this file, never something a target can cause.
 */

export const SEVERITIES = ['info', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Classes where an origin the site does not own was granted (actual request or preflight). */
export const ORIGIN_CLASSES = [
  'arbitrary_origin_reflected',
  'null_origin_trusted',
  'prefix_match',
  'suffix_match',
  'substring_match',
  'unescaped_dot',
  'pre_domain',
  'post_domain',
  'special_characters',
  'http_origin_trusted',
  'third_party_origin',
] as const;
export type OriginClass = (typeof ORIGIN_CLASSES)[number];

/** Classes read from the shape of the answers rather than from one granted origin. */
export const RESPONSE_CLASSES = [
  'wildcard_with_credentials',
  'public_wildcard',
  'missing_vary_origin',
  'preflight_any_method',
  'preflight_any_header',
  'preflight_max_age_excessive',
  'rejected_preflight_reveals_policy',
  'private_network_access_granted',
] as const;
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];

export const PROBE_CLASSES = [...ORIGIN_CLASSES, ...RESPONSE_CLASSES] as const;
export type ProbeClass = OriginClass | ResponseClass;

/** One line per class: what the mutation tests (human output, SARIF rule descriptions, docs). */
export const CLASS_TITLES: Readonly<Record<ProbeClass, string>> = {
  arbitrary_origin_reflected: 'Any origin is reflected in Access-Control-Allow-Origin',
  null_origin_trusted: 'The null origin (sandboxed iframes, file: pages) is trusted',
  prefix_match: 'An origin that starts with the site domain is trusted (example.com.attacker.tld)',
  suffix_match: 'An origin that ends with the site domain is trusted (attackerexample.com)',
  substring_match: 'An origin that is a substring of a trusted one is trusted (xample.com)',
  unescaped_dot: 'A dot of the site host matches any character (apixexample.com): unescaped regex dot',
  pre_domain: 'A name glued in front of the site host is trusted (attackerapp.example.com)',
  post_domain: 'The site host followed by an attacker domain is trusted (app.example.com.attacker.tld)',
  special_characters: 'Host characters that browsers accept but parsers mishandle (_ ` $ { …) are trusted',
  http_origin_trusted: 'The http:// variant of an https site is trusted',
  third_party_origin: 'An origin on a shared hosting platform (github.io, codepen.io…) is trusted',
  wildcard_with_credentials: 'Access-Control-Allow-Origin: * is sent with Access-Control-Allow-Credentials: true',
  public_wildcard: 'Access-Control-Allow-Origin: * without credentials (public resource)',
  missing_vary_origin: 'The CORS answer depends on Origin but the response lacks Vary: Origin',
  preflight_any_method: 'A preflight grants any requested method',
  preflight_any_header: 'A preflight grants any requested header',
  preflight_max_age_excessive: 'Access-Control-Max-Age is longer than browsers keep preflights',
  rejected_preflight_reveals_policy: 'A rejected preflight still reveals the policy (allowed origin, methods or headers)',
  private_network_access_granted: 'Private Network Access is granted to an origin the site does not own',
};
