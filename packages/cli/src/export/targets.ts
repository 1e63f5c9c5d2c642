/** The edges `export` writes for, each a renderer from a plan to files. */
import type { EdgePlan, Refusal } from './plan';
import { GATEWAY_API_FILE, gatewayApiRefusals, httpRoute } from './gateway-api';
import { NGINX_HTTP_SNIPPET, NGINX_LOCATION_SNIPPET, nginxConf, nginxHttpSnippet, nginxLocationSnippet } from './nginx';
import { CADDY_SNIPPET, caddyfile, caddySnippet } from './caddy';
import { HAPROXY_SNIPPET, haproxyConfig, haproxySnippet } from './haproxy';
import { TRAEFIK_FILE, traefikDynamicConfig, traefikRefusals } from './traefik';
import { ENVOY_FILE, envoyConfig, envoyRefusals } from './envoy';
import { caddyReadme, haproxyReadme, nginxReadme } from './readme';

export interface Runnable {
  readonly upstream: URL;
  readonly listen: { readonly host: string; readonly port: number };
}

export interface EdgeFiles {
  readonly files: Readonly<Record<string, string>>;
  /** Directories the runnable config needs inside DIR (nginx's temp paths). */
  readonly directories?: readonly string[];
}

export interface EdgeTarget {
  render(plan: EdgePlan, runnable: Runnable | undefined): EdgeFiles;
  /** What this target cannot express beyond what every edge refuses. */
  refusals?(plan: EdgePlan): Refusal[];
  /** Schema-validated targets have no runnable form here. */
  readonly snippetsOnly?: boolean;
}

/** `host:port` as a listen directive reads it (IPv6 in brackets). */
export function hostPort(listen: Runnable['listen']): string {
  return `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}

/** `host:port` of an http:// upstream, the port written out (HAProxy would otherwise reuse the client's). */
function upstreamHostPort(url: URL): string {
  return `${url.hostname}:${url.port === '' ? '80' : url.port}`;
}

export const EDGE_TARGETS: Readonly<Record<string, EdgeTarget>> = {
  nginx: {
    render(plan, runnable) {
      const files: Record<string, string> = { [NGINX_HTTP_SNIPPET]: nginxHttpSnippet(plan), [NGINX_LOCATION_SNIPPET]: nginxLocationSnippet(plan) };
      if (runnable === undefined) return { files: { ...files, 'README.md': nginxReadme(plan) } };
      files['nginx.conf'] = nginxConf(upstreamHostPort(runnable.upstream), hostPort(runnable.listen));
      return { files, directories: ['tmp'] };
    },
  },
  haproxy: {
    render(plan, runnable): EdgeFiles {
      if (runnable === undefined) return { files: { [HAPROXY_SNIPPET]: haproxySnippet(plan), 'README.md': haproxyReadme(plan) } };
      return { files: { 'haproxy.cfg': haproxyConfig(plan, upstreamHostPort(runnable.upstream), hostPort(runnable.listen)) } };
    },
  },
  caddy: {
    render(plan, runnable): EdgeFiles {
      if (runnable === undefined) return { files: { [CADDY_SNIPPET]: caddySnippet(plan), 'README.md': caddyReadme(plan) } };
      return { files: { Caddyfile: caddyfile(plan, upstreamHostPort(runnable.upstream), hostPort(runnable.listen)) } };
    },
  },
  'gateway-api': {
    snippetsOnly: true,
    refusals: gatewayApiRefusals,
    render: (plan): EdgeFiles => ({ files: { [GATEWAY_API_FILE]: httpRoute(plan) } }),
  },
  traefik: {
    snippetsOnly: true,
    refusals: traefikRefusals,
    render: (plan): EdgeFiles => ({ files: { [TRAEFIK_FILE]: traefikDynamicConfig(plan) } }),
  },
  envoy: {
    snippetsOnly: true,
    refusals: envoyRefusals,
    render: (plan): EdgeFiles => ({ files: { [ENVOY_FILE]: envoyConfig(plan) } }),
  },
};
