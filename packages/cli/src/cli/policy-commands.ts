/**
 * `cors-sentinel check <policy file>` and `cors-sentinel explain --policy <file> …`: a policy file
 * validated in CI, and a decision explained without starting a server. An edge like the adapters (it
 * compiles and runs the engine), so it lives outside src/policy/, which must not import the engine.
 */
import { parseArgs } from 'node:util';
import { explain } from 'cors-sentinel/internal/engine/explain';
import { nodeRoutingPath } from 'cors-sentinel/internal/http/routing-path';
import type { CorsRequest } from 'cors-sentinel/internal/engine/decision';
import { compilePolicy } from 'cors-sentinel/internal/engine/compile-policy';
import type { CompiledPolicy, CompiledRoutePolicy } from 'cors-sentinel/internal/engine/compiled';
import { CorsConfigError } from 'cors-sentinel/internal/policy/errors';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';

const CHECK_USAGE = 'usage: cors-sentinel check <policy.yaml|policy.json>\n\nValidates the file and prints the compiled policy; exits 1 on any problem.';
const EXPLAIN_USAGE = `usage: cors-sentinel explain --policy <file> --origin <origin> [--method GET] [--path /] [--header <name>]... [--preflight] [--cookie] [--host <host>] [--sec-fetch-site <value>] [--local-port N] [--json]

  --preflight   ask as the browser's preflight (OPTIONS with Access-Control-Request-Method: <method>)
  --header      a request header the (preflighted) request sends; repeat for several
  --cookie      the request carries cookies (credentials: 'include')
  --local-port  the port the request arrived on, for a localServer Host allowlist (default: the --host port)
  --sec-fetch-site  the browser's Sec-Fetch-Site (same-origin, same-site, cross-site, none), for the policy's
                cross-origin protection of unsafe methods; without it the protection compares --origin with --host`;

/** Loads and compiles a file; on problems prints them and returns undefined (exit code set). */
function compileFile(file: string): CompiledPolicy | undefined {
  try {
    return compilePolicy(loadPolicyFile(file));
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    console.error(`${file}: ${err.problems.length} problem(s)`);
    for (const p of err.problems) console.error(`  ✗ ${p.path || '(top)'}: ${p.message} [${p.code}]`);
    process.exitCode = 1;
    return undefined;
  }
}

export function checkMain(argv: string[]): void {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help || positionals.length !== 1) {
    (values.help ? console.log : console.error)(CHECK_USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const file = positionals[0] as string;
  const policy = compileFile(file);
  if (policy === undefined) return;
  console.log(`${file}: valid (policy hash ${policy.hash})`);
  console.log('routes (most specific first):');
  const protection = describeProtection(policy);
  for (const route of [...policy.routes, policy.defaultRoute]) console.log(`${describeRoute(route)}\n    ${protection}`);
  const warnings = policy.warnings;
  console.log(warnings.length === 0 ? 'warnings: none' : `warnings (${warnings.length}):`);
  for (const w of warnings) console.log(`  ! ${w.path}: ${w.message}`);
}

function describeRoute(route: CompiledRoutePolicy): string {
  const o = route.origins;
  const kinds = [
    o.any ? "any ('*')" : '',
    o.exact.size > 0 ? `${o.exact.size} exact` : '',
    o.wildcards.size > 0 ? `${o.wildcards.size} wildcard` : '',
    o.regexps.length > 0 ? `${o.regexps.length} RegExp` : '',
    o.allowNull ? 'null' : '',
    route.reflectAny ? 'reflect any (dangerous)' : '',
    route.resolver ? 'resolver' : '',
  ].filter((k) => k !== '');
  const where = route.pattern ? route.pattern.source : '(default: every other path)';
  return [
    `  ${route.name}  ${where}`,
    `    origin policy: ${route.originPolicy}${kinds.length > 0 ? ` — ${kinds.join(', ')}` : ''}`,
    `    origins: ${(route.summary.origins as string[]).join(', ') || 'none'}`,
    `    credentials: ${route.credentials}   methods: ${[...route.methods].join(', ')}   allowed headers: ${[...route.allowedHeaders].join(', ') || 'none'}`,
  ].join('\n');
}

/** The line `check` prints under each route: cross-origin protection's mode, whom it trusts, what it bypasses. */
function describeProtection(policy: CompiledPolicy): string {
  const p = policy.crossOriginProtection;
  if (p === undefined) return 'cross-origin protection: off (cross-site form posts reach the handler; see crossOriginProtection)';
  const trusted = [p.trustCorsOrigins ? "the route's CORS origins" : '', ...p.summary.trusted].filter((t) => t !== '');
  return `cross-origin protection: ${p.mode} (unsafe methods; blocked status ${p.status})   trusted: ${trusted.join(', ') || 'none'}   bypass: ${p.summary.bypass.join(', ') || 'none'}`;
}

export async function explainMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' }, origin: { type: 'string' }, method: { type: 'string', default: 'GET' }, path: { type: 'string', default: '/' },
      header: { type: 'string', multiple: true }, preflight: { type: 'boolean' }, cookie: { type: 'boolean' }, host: { type: 'string' },
      'local-port': { type: 'string' }, 'sec-fetch-site': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || values.policy === undefined) {
    (values.help ? console.log : console.error)(EXPLAIN_USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const policy = compileFile(values.policy);
  if (policy === undefined) return;
  // The path the middleware routes on (src/http/routing-path.ts): `/api/partner?id=1` is judged as `/api/partner`.
  const path = nodeRoutingPath(values.path);
  if (path === undefined) {
    console.error(`--path ${JSON.stringify(values.path)} is not a request target a server would route (the middleware answers it 400)`);
    process.exitCode = 2;
    return;
  }
  const method = values.method;
  const headers = values.header && values.header.length > 0 ? values.header.join(', ') : undefined;
  const request: CorsRequest = {
    method: values.preflight ? 'OPTIONS' : method,
    path,
    target: values.path,
    origin: values.origin,
    host: values.host,
    localPort: localPortOf(values['local-port'], values.host),
    accessControlRequestMethod: values.preflight ? method : undefined,
    accessControlRequestHeaders: values.preflight ? headers : undefined,
    hasCookie: values.cookie === true,
    secFetchSite: values['sec-fetch-site'],
  };
  const { decision, why, protection } = await explain(policy, request);
  if (values.json) {
    console.log(JSON.stringify({ request: { ...request }, decision, why, protection }, null, 2));
    return;
  }
  console.log(why);
  console.log(`route: ${decision.route}   request type: ${decision.requestType}   outcome: ${decision.outcome ?? '(not CORS)'}${decision.reason ? `   reason: ${decision.reason}` : ''}`);
  if (decision.offending !== undefined) console.log(`rejected ${OFFENDING[decision.reason ?? ''] ?? 'value'}: ${JSON.stringify(decision.offending)}`);
  if (protection) console.log(`cross-origin protection: ${protection.mode}   site: ${protection.site} (by ${protection.by})   decision: ${protection.decision}`);
  if (protection?.decision === 'blocked') {
    console.log(`response:\n  status: ${protection.status} (answered by cross-origin protection, empty body, no CORS headers)`);
    return;
  }
  const lines = decision.headers.map(([n, v]) => `  ${n}: ${v}`);
  if (decision.vary.length > 0) lines.push(`  Vary: ${decision.vary.join(', ')} (appended)`);
  if (decision.status !== undefined && !decision.passThrough) lines.unshift(`  status: ${decision.status} (answered by cors-sentinel)`);
  console.log(lines.length > 0 ? `response:\n${lines.join('\n')}` : 'response: no CORS headers');
}

/** What `decision.offending` is, by reason. */
const OFFENDING: Readonly<Record<string, string>> = { method_not_allowed: 'method', header_not_allowed: 'header', host_not_allowed: 'Host' };

/** `--local-port`, else the port of `--host` (`localhost:3000` arrived on 3000); undefined when neither says. */
function localPortOf(flag: string | undefined, host: string | undefined): number | undefined {
  const text = flag ?? /:(\d{1,5})$/.exec(host ?? '')?.[1];
  const port = text === undefined ? undefined : Number(text);
  return port !== undefined && Number.isInteger(port) && port > 0 && port < 65_536 ? port : undefined;
}
