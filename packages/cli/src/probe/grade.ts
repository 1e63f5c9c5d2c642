/**
 * Grades each observation by what an attacker can actually do end to end, with the reason in one
 * line. The severity of each situation comes from the one table in classes.ts (ORIGIN_SEVERITY,
 * RESPONSE_SEVERITY); this file only decides which situation an observation is in and says why.
 */
import { ORIGIN_SEVERITY, RESPONSE_SEVERITY, severityRank, type OriginAccess, type OriginSituation, type ResponseClass, type Severity } from './classes';
import { corsHeaders } from './answers';
import { BROWSER_MAX_AGE_CAP, type Observation } from './classify';
import type { Finding, OriginMutation, Reach } from './types';

const WHO: Readonly<Record<Reach, string>> = {
  anyone: 'any website',
  subdomain: 'whoever controls a host under the site domain (subdomain takeover, XSS, user content)',
  safari: 'a page on that host name, in browser engines that accept it (mostly Safari)',
  network: 'an attacker on the network path (public Wi-Fi) who injects an http page',
};

export function grade(observations: readonly Observation[]): Finding[] {
  const judged = observations.map((o) => ({ o, verdict: judge(o) }));
  const reflection = judged.find((j) => j.o.class === 'arbitrary_origin_reflected');
  // Once any origin is reflected, the narrower origin classes that are no worse say nothing new: they
  // are listed on the reflection finding instead of repeated (the scanners' reports drown the cause in them).
  const isImplied = (j: (typeof judged)[number]): boolean =>
    reflection !== undefined && j !== reflection && j.o.mutation !== undefined && severityRank(j.verdict.severity) <= severityRank(reflection.verdict.severity);
  const implied = judged.filter(isImplied).map((j) => j.o.class);
  return judged.filter((j) => !isImplied(j)).map(({ o, verdict }) => {
    const res = o.response;
    return {
      class: o.class,
      severity: verdict.severity,
      situation: verdict.situation,
      ...(o.access !== undefined ? { access: o.access } : {}),
      explanation: verdict.explanation,
      ...(o === reflection?.o && implied.length > 0 ? { implies: implied } : {}),
      evidence: { ...(res.request.origin !== undefined ? { origin: res.request.origin } : {}), kind: res.request.kind, status: res.status, headers: corsHeaders(res) },
    };
  });
}

interface Verdict {
  readonly severity: Severity;
  readonly situation: string;
  readonly explanation: string;
}

function judge(o: Observation): Verdict {
  if (o.mutation && o.access) return judgeOrigin(o, o.mutation, o.access);
  const [situation, explanation] = responseSituation(o);
  const cases: Readonly<Record<string, Severity>> = RESPONSE_SEVERITY[o.class as ResponseClass];
  return { severity: cases[situation] ?? 'info', situation, explanation };
}

function judgeOrigin(o: Observation, m: OriginMutation, access: OriginAccess): Verdict {
  const who = capitalise(o.class === 'null_origin_trusted' ? 'any website (a sandboxed iframe sends Origin: null)' : WHO[m.reach]);
  // A hidden read needs credentials (access.ts), so it has no public row.
  const situation: OriginSituation = access === 'preflight_only' ? 'preflight_only' : o.credentials ? `${access}_credentials_${m.reach === 'anyone' ? 'anyone' : 'restricted'}` : `${access === 'write' ? 'write' : 'read'}_public`;
  const unlocks = (o.unlocks ?? []).join(', ');
  const explanation = {
    read_credentials: `${who} can read responses with the user's cookies: ${m.origin} is granted with credentials.`,
    write_credentials: `${who} can send credentialed requests a simple request could not (${unlocks}): ${m.origin} passes the preflight with credentials, so the request runs with the user's cookies even if its answer stays unread.`,
    hidden_read_credentials: `${who} can most likely read responses with the user's cookies: the actual answer needs a session (${o.actualStatus ?? 401} without CORS headers) and the preflight grants ${m.origin} with credentials; rerun with --header 'Cookie: …' to see the authenticated answer.`,
    read_public: `${m.origin} may read responses, but without the user's cookies: no more than anyone could fetch directly.`,
    write_public: `${m.origin} may send ${unlocks} without the user's cookies: no more than anyone could send directly.`,
    preflight_only: `${m.origin} passes the preflight${o.credentials ? ' with credentials' : ''}, but the actual answer does not grant it and the preflight unlocks no method or header beyond a simple request: nothing to read, nothing new to send.`,
  }[situation.replace(/_(anyone|restricted)$/, '') as 'read_credentials'];
  return { severity: ORIGIN_SEVERITY[situation], situation, explanation };
}

function responseSituation(o: Observation): [string, string] {
  const age = o.maxAge !== undefined ? ` (cached for ${o.maxAge} s)` : '';
  switch (o.class) {
    case 'wildcard_with_credentials':
      return ['always', 'Browsers refuse credentialed reads with *, so nothing leaks, but the server means to share credentialed data: one step from reflecting origins.'];
    case 'public_wildcard':
      return ['always', 'Any website can read this response without cookies: right for public data, wrong if the API trusts the network (intranet, IP allowlists).'];
    case 'missing_vary_origin':
      return o.credentials
        ? ['credentialed_grant', 'A shared cache can serve the credentialed grant for one origin to requests from another, and the real frontend\'s answer to others: cached grants leak, frontends break.']
        : ['otherwise', 'A shared cache can serve the answer for one origin (or for none) to requests from another: real frontends break intermittently.'];
    case 'preflight_any_method':
      return [o.credentials ? 'credentials' : 'otherwise', `Preflights grant any method${age}: pages of a trusted origin can send ${o.credentials ? 'DELETE or PUT with cookies' : 'any method'}; list the methods the frontend uses.`];
    case 'preflight_any_header':
      return [o.credentials ? 'credentials' : 'otherwise', `Preflights grant any request header${age}: the header allowlist is not enforced; list the headers the frontend sends.`];
    case 'preflight_max_age_excessive':
      return ['always', `Access-Control-Max-Age is ${o.maxAge} s: browsers keep at most ${BROWSER_MAX_AGE_CAP} s (Chromium 7200 s), and a revoked grant lingers that long.`];
    case 'rejected_preflight_reveals_policy':
      return ['always', 'A rejected preflight still answers with CORS headers: an attacker learns the allowed origin, methods or headers without being allowed.'];
    case 'private_network_access_granted':
      if (!o.foreign) return ['site_origin_only', 'Private Network Access is granted to the site origin only: intended if the frontend needs this private-network service.'];
      return [o.credentials ? 'foreign_origin_credentials' : 'foreign_origin', `Private Network Access is granted to ${o.response.request.origin}${o.credentials ? ' with credentials' : ''}: a public website can reach this private-network service from a visitor's browser${o.credentials ? ', with the visitor\'s cookies' : ''}.`];
    default:
      return ['always', 'Observed.'];
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
