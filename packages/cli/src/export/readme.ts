/** The README that says where each snippet goes, written beside the snippets. */
import type { EdgePlan } from './plan';
import { NGINX_HTTP_SNIPPET, NGINX_LOCATION_SNIPPET } from './nginx';
import { HAPROXY_SNIPPET } from './haproxy';
import { CADDY_SNIPPET } from './caddy';

function routeLines(plan: EdgePlan): string {
  return plan.routes.map((r) => `- \`${r.name}\` (${r.pattern?.source ?? 'every other path'}): ${
    r.disabled ? 'CORS off' : r.anyOnly ? 'any origin' : `${r.exact.length} exact origin(s), ${r.wildcards.length} wildcard(s)`}`).join('\n');
}

export function nginxReadme(plan: EdgePlan): string {
  return `# cors-sentinel export: nginx

Generated from the policy; edit the policy and export again rather than these files.

1. \`${NGINX_HTTP_SNIPPET}\` goes in the \`http {}\` block: \`include /path/to/${NGINX_HTTP_SNIPPET};\`.
   It defines the \`cors_json\` log format and the maps that decide every request.
2. \`${NGINX_LOCATION_SNIPPET}\` goes in **every location that serves the API**:
   \`include /path/to/${NGINX_LOCATION_SNIPPET};\`. nginx 1.22 has no \`add_header_inherit\`: a location,
   nested location or \`if\` block with \`add_header\` lines of its own loses the CORS headers unless it
   includes the snippet too. Preflights are answered here and never reach the upstream.
3. For metrics, log those locations with \`access_log /var/log/nginx/cors.log cors_json;\` and run
   \`cors-sentinel logs --format nginx-json --policy POLICY /var/log/nginx/cors.log\`. The format writes
   the answer's credentials, methods and headers from the snippets' own values: the location snippet
   hides the upstream's \`Access-Control-*\` headers for \`proxy_pass\`; behind \`fastcgi_pass\`,
   \`uwsgi_pass\` or \`grpc_pass\`, hide them likewise (\`fastcgi_hide_header\` …).
4. In the main context of \`nginx.conf\` (outside \`http {}\`), \`pcre_jit on;\` compiles the regexes
   the maps fall back to instead of interpreting them on every request.
5. Check with \`nginx -t\`.

Routes (most specific first, as the middleware selects them):

${routeLines(plan)}
`;
}

export function haproxyReadme(plan: EdgePlan): string {
  return `# cors-sentinel export: HAProxy

Generated from the policy; edit the policy and export again rather than this file.

1. Paste \`${HAPROXY_SNIPPET}\` into the \`frontend\` section that serves the API (HAProxy 2.6 has no
   include), before its \`use_backend\`/\`default_backend\` lines. It needs \`mode http\`.
   Preflights are answered by \`http-request return\` and never reach a backend; the backend's own
   \`Access-Control-*\` headers are removed.
2. Check with \`haproxy -c -f haproxy.cfg\`.

Routes (most specific first, as the middleware selects them):

${routeLines(plan)}
`;
}

export function caddyReadme(plan: EdgePlan): string {
  return `# cors-sentinel export: Caddy

Generated from the policy; edit the policy and export again rather than this file.

1. In the site block that serves the API: \`import /path/to/${CADDY_SNIPPET}\`, before its handlers.
   Preflights are answered with \`respond\` and never reach \`reverse_proxy\`.
2. In that site's \`reverse_proxy\`, drop the upstream's own CORS headers (the edge owns them):
   \`header_down -Access-Control-Allow-Origin\` and likewise for the other \`Access-Control-*\` headers.
3. Check with \`caddy validate --config Caddyfile --adapter caddyfile\`.

Routes (most specific first, as the middleware selects them):

${routeLines(plan)}
`;
}
