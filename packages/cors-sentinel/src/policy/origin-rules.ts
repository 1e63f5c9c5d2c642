/**
 * DESIGN rules 1–4 and 17 over one route's origin sources: what may be combined with credentials,
 * how far RegExps reach, and who may choose the tenant whose origins are trusted.
 */
import type { CompiledOrigins } from '../origin/matcher';
import { isLoopbackHost } from '../origin/parse';
import type { CompiledTenantSource } from '../stores/tenant';
import type { ProblemCollector } from './errors';
import type { OriginSetting } from './origin-setting';
import { judgeRegExpBreadth } from './regexp-rules';

export interface OriginRuleFlags {
  readonly credentials: boolean;
  readonly privateNetworkAccess: boolean;
  readonly allowInsecure: boolean;
  readonly allowPublicSuffix: boolean;
  readonly allowReflectAny: boolean;
  readonly allowQueryTenantWithCredentials: boolean;
}

export const SAFE_TENANT_BINDING =
  'bind the tenant where a cross-site page cannot re-point it: tenantFrom: { path: /^\\/t\\/([^/]+)\\// } (the app serves only that tenant\'s data under /t/:tenant/) ' +
  'or { host: /^([a-z0-9-]+)\\.api\\.example\\.com$/ } (with host-only cookies), or set credentials: false';

export function checkOriginRules(
  origins: CompiledOrigins,
  setting: OriginSetting,
  tenant: CompiledTenantSource | undefined,
  flags: OriginRuleFlags,
  at: { readonly origin: string; readonly route: string },
  problems: ProblemCollector,
): void {
  const originAt = at.origin;
  if (flags.credentials) {
    if (origins.any) problems.add(originAt, 'credentials_with_any_origin', 'credentials cannot be combined with "*": any site could read responses with the user\'s cookies');
    if (setting.reflectAny || ((setting.callback || setting.guardedResolver) && flags.allowReflectAny)) {
      problems.add(originAt, 'credentials_with_reflect_any', 'credentials cannot be combined with reflecting any origin: any site could read responses with the user\'s cookies');
    }
    if (tenant?.binding === 'request-chosen' && setting.resolver && !flags.allowQueryTenantWithCredentials) {
      problems.add(
        `${at.route}tenantFrom`,
        'credentials_with_request_chosen_tenant',
        'tenantFrom: { query } lets any page choose the tenant: an attacker who registers his own origin as a tenant sends ?<param>=<his tenant> from his page ' +
          `and reads your users' credentialed responses on every endpoint that ignores the parameter; ${SAFE_TENANT_BINDING}. ` +
          'Only if every response on this route is scoped to the tenant in the query, set dangerouslyAllowCredentialsWithQueryTenant',
      );
    }
  }
  for (const e of origins.entries) {
    if (e.kind === 'exact' || e.kind === 'wildcard') {
      const host = e.kind === 'exact' ? e.host : e.suffix.replace(/:\d+$/, '');
      const insecure = e.scheme === 'http' && !isLoopbackHost(host);
      const shown = e.kind === 'exact' ? e.origin : e.pattern;
      if (insecure && flags.credentials && !flags.allowInsecure) {
        problems.add(originAt, 'credentials_with_insecure_origin', `${shown} is plain http: a network attacker can impersonate it and read credentialed responses; use https or set dangerouslyAllowInsecureOriginsWithCredentials`);
      }
      // Browsers send Private Network Access preflights only from secure contexts, and a plain-http page
      // can be impersonated by anyone on its network: granting it would open the private network to them.
      if (insecure && flags.privateNetworkAccess) {
        problems.add(at.route + 'privateNetworkAccess', 'private_network_with_insecure_origin', `${shown} is plain http: Private Network Access is for secure origins (a network attacker can impersonate this one); use https, or move it to a route without privateNetworkAccess`);
      }
    }
    if (e.kind === 'wildcard' && e.publicSuffix) {
      if (!flags.credentials) problems.warn(originAt, `${e.pattern} covers a public suffix: anyone can register a site under it`);
      else if (!flags.allowPublicSuffix) {
        problems.add(originAt, 'credentials_with_public_suffix_wildcard', `${e.pattern} covers a public suffix: anyone can register a site under it; set dangerouslyAllowPublicSuffixWildcards if you really mean it`);
      }
    }
    if (e.kind === 'regexp') {
      const verdict = judgeRegExpBreadth(e.regexp, e.test, { credentials: flags.credentials, allowPublicSuffix: flags.allowPublicSuffix });
      for (const err of verdict.errors) problems.add(originAt, err.code, err.message);
      for (const w of verdict.warnings) problems.warn(originAt, w);
    }
  }
}
