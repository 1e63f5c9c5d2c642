/**
 * Grades each observation by what an attacker can actually do, with the reason in one line:
 * high = a page the attacker controls reads credentialed responses; medium = the same, but only
 * from a position that takes more (a subdomain, the network path, one browser engine); low = a
 * broken or looser-than-needed policy with no read; info = public data or a detail worth knowing.
 */
import type { Severity } from './classes';
import { corsHeaders } from './answers';
import { BROWSER_MAX_AGE_CAP, type Observation } from './classify';
import type { Finding, Reach } from './types';

const WHO: Readonly<Record<Reach, string>> = {
  anyone: 'any website',
  subdomain: 'whoever controls a host under the site domain (subdomain takeover, XSS, user content)',
  safari: 'a page on that host name, in browser engines that accept it (mostly Safari)',
  network: 'an attacker on the network path (public Wi-Fi) who injects an http page',
};

export function grade(observations: readonly Observation[]): Finding[] {
  const reflection = observations.find((o) => o.class === 'arbitrary_origin_reflected');
  // Once any origin is reflected, the narrower origin classes say nothing new: they are listed on
  // the reflection finding instead of repeated (the scanners' reports drown the cause in them).
  const isImplied = (o: Observation): boolean => reflection !== undefined && o !== reflection && o.mutation !== undefined && (!o.credentials || reflection.credentials);
  const implied = observations.filter(isImplied).map((o) => o.class);
  return observations.filter((o) => !isImplied(o)).map((o) => {
    const [severity, explanation] = judge(o);
    const res = o.response;
    return {
      class: o.class,
      severity,
      explanation,
      ...(o === reflection && implied.length > 0 ? { implies: implied } : {}),
      evidence: { ...(res.request.origin !== undefined ? { origin: res.request.origin } : {}), kind: res.request.kind, status: res.status, headers: corsHeaders(res) },
    };
  });
}

function judge(o: Observation): [Severity, string] {
  const m = o.mutation;
  if (m) {
    const who = o.class === 'null_origin_trusted' ? 'any website (a sandboxed iframe sends Origin: null)' : WHO[m.reach];
    if (!o.credentials) return ['info', `${m.origin} may read responses, but without the user's cookies: no more than anyone could fetch directly.`];
    const severity = m.reach === 'anyone' ? 'high' : 'medium';
    // Granted on preflights only: no read, but credentialed requests with the preflighted methods (writes).
    if (o.response.request.kind === 'preflight') return [severity, `${capitalise(who)} can send credentialed ${o.response.request.requestMethod ?? ''} requests that change state: ${m.origin} passes the preflight with credentials.`];
    return [severity, `${capitalise(who)} can read responses with the user's cookies: ${m.origin} is granted with credentials.`];
  }
  const age = o.maxAge !== undefined ? ` (cached for ${o.maxAge} s)` : '';
  switch (o.class) {
    case 'wildcard_with_credentials':
      return ['low', 'Browsers refuse credentialed reads with *, so nothing leaks, but the server means to share credentialed data: one step from reflecting origins.'];
    case 'public_wildcard':
      return ['info', 'Any website can read this response without cookies: right for public data, wrong if the API trusts the network (intranet, IP allowlists).'];
    case 'missing_vary_origin':
      return o.credentials
        ? ['medium', 'A shared cache can serve the credentialed grant for one origin to requests from another, and the real frontend\'s answer to others: cached grants leak, frontends break.']
        : ['low', 'A shared cache can serve the answer for one origin (or for none) to requests from another: real frontends break intermittently.'];
    case 'preflight_any_method':
      return [o.credentials ? 'low' : 'info', `Preflights grant any method${age}: pages of a trusted origin can send ${o.credentials ? 'DELETE or PUT with cookies' : 'any method'}; list the methods the frontend uses.`];
    case 'preflight_any_header':
      return [o.credentials ? 'low' : 'info', `Preflights grant any request header${age}: the header allowlist is not enforced; list the headers the frontend sends.`];
    case 'preflight_max_age_excessive':
      return ['info', `Access-Control-Max-Age is ${o.maxAge} s: browsers keep at most ${BROWSER_MAX_AGE_CAP} s (Chromium 7200 s), and a revoked grant lingers that long.`];
    case 'rejected_preflight_reveals_policy':
      return ['info', 'A rejected preflight still answers with CORS headers: an attacker learns the allowed origin, methods or headers without being allowed.'];
    case 'private_network_access_granted':
      return o.foreign
        ? [o.credentials ? 'high' : 'medium', `Private Network Access is granted to ${o.response.request.origin}: a public website can reach this private-network service from a visitor's browser.`]
        : ['info', 'Private Network Access is granted to the site origin only: intended if the frontend needs this private-network service.'];
    default:
      return ['info', 'Observed.'];
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
