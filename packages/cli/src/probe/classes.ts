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
  'subdomain_trusted',
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
  subdomain_trusted: 'A host under the site domain that the site may not run is trusted (corsprobe.example.com, 1234.example.com…)',
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

/**
 * How an origin grant reaches an attacker end to end. `read`: the actual answer for that origin grants
 * it. `write`: a preflight grants it a method or header a simple request could not already send
 * (PUT, DELETE…; a non-safelisted header, such as the JSON content-type of a POST). `hidden_read`: the actual answer needs a session
 * (401/403 without CORS headers) while the preflight grants the origin with credentials, so the
 * session's answer is most likely readable. `preflight_only`: the preflight passes but grants nothing
 * beyond a simple request, and the actual answer does not grant the origin: nothing to read or send.
 */
export const ORIGIN_ACCESS = ['read', 'write', 'hidden_read', 'preflight_only'] as const;
export type OriginAccess = (typeof ORIGIN_ACCESS)[number];

/**
 * The one table of classes → severity: the grader reads it, docs/prober.md shows it (a test keeps the
 * two equal), SARIF derives its rule scores from it, and the exporter's labels and its
 * `cors_probe_credentialed_origin_reflection` follow from the findings it grades.
 * Origin classes: by access, credentials, and whether any website can send the origin (`anyone`)
 * or it takes more (`restricted`: a subdomain, the network path, one browser engine).
 */
export const ORIGIN_SEVERITY = {
  read_credentials_anyone: 'high',
  read_credentials_restricted: 'medium',
  write_credentials_anyone: 'high',
  write_credentials_restricted: 'medium',
  hidden_read_credentials_anyone: 'high',
  hidden_read_credentials_restricted: 'medium',
  read_public: 'info',
  write_public: 'info',
  preflight_only: 'info',
} as const satisfies Record<string, Severity>;
export type OriginSituation = keyof typeof ORIGIN_SEVERITY;

export const RESPONSE_SEVERITY = {
  wildcard_with_credentials: { always: 'low' },
  public_wildcard: { always: 'info' },
  missing_vary_origin: { credentialed_grant: 'medium', otherwise: 'low' },
  preflight_any_method: { credentials: 'low', otherwise: 'info' },
  preflight_any_header: { credentials: 'low', otherwise: 'info' },
  preflight_max_age_excessive: { always: 'info' },
  rejected_preflight_reveals_policy: { always: 'info' },
  private_network_access_granted: { foreign_origin_credentials: 'high', foreign_origin: 'medium', site_origin_only: 'info' },
} as const satisfies Record<ResponseClass, Record<string, Severity>>;

/** The worst severity a class can have (SARIF's rule-level score). */
export function worstSeverity(c: ProbeClass): Severity {
  const table: Record<string, Severity> = (ORIGIN_CLASSES as readonly string[]).includes(c) ? ORIGIN_SEVERITY : RESPONSE_SEVERITY[c as ResponseClass];
  return Object.values(table).reduce<Severity>((worst, s) => (severityRank(s) > severityRank(worst) ? s : worst), 'info');
}

/** Findings that mean "an origin the site does not own reads credentialed responses" (the paging metric). */
export const CREDENTIALED_READ_SITUATIONS: readonly OriginSituation[] = ['read_credentials_anyone', 'hidden_read_credentials_anyone'];

/** Markdown of the table, as docs/prober.md shows it. */
export function severityTableMarkdown(): string {
  const rows = ['| class | situation | severity |', '|---|---|---|'];
  for (const [situation, severity] of Object.entries(ORIGIN_SEVERITY)) rows.push(`| every origin class | \`${situation}\` | ${severity} |`);
  for (const [cls, cases] of Object.entries(RESPONSE_SEVERITY)) {
    for (const [situation, severity] of Object.entries(cases)) rows.push(`| \`${cls}\` | \`${situation}\` | ${severity} |`);
  }
  return rows.join('\n');
}
