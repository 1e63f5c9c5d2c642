/** Human-readable reasons for decisions: for tests, debugging and the docs. */
import type { CompiledPolicy, CompiledRoutePolicy } from './compiled';
import { localPortOf, type CorsRequest, type Decision, type OriginSource, type Reason } from './decision';
import { decide, selectRoute } from './decide';
import { explainProtection, type ProtectionExplanation } from './explain-protection';

export type { ProtectionExplanation } from './explain-protection';

export interface Explanation {
  readonly decision: Decision;
  /** The CORS decision in a sentence; the protection's verdict first when it blocks the request. */
  readonly why: string;
  /**
   * Cross-origin request protection's verdict (`crossOriginProtection`), for unsafe methods only: it runs
   * before CORS, so when its `decision` is `blocked` the CORS `decision` above is never reached.
   */
  readonly protection?: ProtectionExplanation | undefined;
}

/**
 * The decision for `req` with a sentence saying why. Synchronous for static policies; a Promise only
 * when the request's origin must be looked up (`resolveOrigin`, an `origin(o, cb)` function or an
 * `originStore`) and is not cached yet. Use `explainSync` when you know the policy is static.
 */
export function explain(policy: CompiledPolicy, req: CorsRequest): Explanation | Promise<Explanation> {
  const route = selectRoute(policy, req.path);
  const protection = explainProtection(policy, req);
  const result = decide(policy, req);
  const describe = (decision: Decision): Explanation => {
    const cors = why(decision, route, req);
    if (protection === undefined) return { decision, why: cors };
    const text = protection.decision === 'blocked' ? `${protection.why} (Without it: ${cors})` : `${cors} ${protection.why}`;
    return { decision, why: text, protection };
  };
  return result instanceof Promise ? result.then(describe) : describe(result);
}

function why(d: Decision, route: CompiledRoutePolicy, req: CorsRequest): string {
  const where = `route "${d.route}"${route.pattern ? ` (${route.pattern.source})` : ''}`;
  if (d.reason === 'host_not_allowed') {
    return `${req.method} request for Host ${JSON.stringify(req.host ?? '')} on ${where} is rejected (host_not_allowed): the localServer Host allowlist does not name it with port ${localPortOf(req) ?? '(unknown)'}, so it may be a DNS-rebinding page; answered 403 before any handler.`;
  }
  if (d.requestType === 'non_cors') {
    if (route.originPolicy === 'disabled') return `CORS is disabled on ${where}; the request passes through untouched.`;
    if (req.origin === undefined) return `No Origin header: not a cross-origin request; ${where} adds ${d.headers.length > 0 ? 'Access-Control-Allow-Origin: *' : 'only Vary: Origin'}.`;
    return `Origin ${req.origin} matches the Host header: a same-origin request, not judged by CORS.`;
  }
  const kind = d.requestType === 'preflight' ? `Preflight (${req.accessControlRequestMethod})` : `${req.method} request`;
  const head = `${kind} from ${d.origin} on ${where}`;
  if (d.outcome === 'allowed') {
    const via: Record<OriginSource, string> = {
      exact: 'it is listed exactly',
      wildcard: `it matches ${d.originPattern}`,
      regexp: `it matches ${d.originPattern}`,
      any: 'the policy allows any origin',
      null: 'the null origin is explicitly enabled',
      resolver: 'the origin resolver approved it',
    };
    return `${head} is allowed: ${via[d.originSource ?? 'exact']}.`;
  }
  const origins = route.origins;
  const listed = `${origins.exact.size} exact origin(s), ${origins.wildcards.size} wildcard pattern(s), ${origins.regexps.length} RegExp(s)`;
  const reasons: Record<Reason, string> = {
    origin_not_allowed: `the origin is not among the ${listed}${route.resolver ? ' and the resolver did not approve it' : ''}`,
    null_origin: 'the null origin (sandboxed iframes, file:// pages, redirects) is not enabled',
    invalid_origin: 'the Origin header is not a valid serialised origin',
    insecure_origin: 'a plain-http origin cannot be trusted with credentials',
    method_not_allowed: `${req.accessControlRequestMethod} is not among the allowed methods (${[...route.methods].join(', ')})`,
    header_not_allowed: `${d.offending === undefined ? 'a requested header' : `the requested header ${JSON.stringify(d.offending)}`} is not allowed (allowed: ${[...route.allowedHeaders].join(', ') || 'none'})`,
    headers_too_large: 'Access-Control-Request-Headers is longer or lists more names than any browser sends',
    credentials_not_allowed: 'the request carries cookies but the policy does not allow credentials, so the browser will refuse the response',
    private_network_not_allowed: 'Private Network Access is not enabled on this route',
    resolver_error: 'the origin resolver failed, so the request fails closed',
    resolver_timeout: 'the origin resolver did not answer in time, so the request fails closed',
    host_not_allowed: 'the Host is not in the localServer allowlist',
  };
  return `${head} is rejected (${d.reason}): ${reasons[d.reason ?? 'origin_not_allowed']}.`;
}

/**
 * `explain()` for static policies (origins, wildcards, RegExps, `'*'`): always synchronous. Throws a
 * TypeError naming the fix when the request needs an asynchronous origin lookup.
 */
export function explainSync(policy: CompiledPolicy, req: CorsRequest): Explanation {
  const result = explain(policy, req);
  if (result instanceof Promise) {
    result.catch(() => undefined); // the lookup still runs; its answer is cached for the next call
    throw new TypeError(
      `cors-sentinel: explaining ${req.method} ${req.path} from ${String(req.origin)} needs an asynchronous origin lookup ` +
        '(resolveOrigin, an origin function or an originStore); use `await cors.explain(request)` instead',
    );
  }
  return result;
}
