/**
 * Real servers for the prober's second round, each misconfigured the way users configure them and
 * each with a known ground truth (test/probe/attacker-view.server.test.ts states it per case).
 * Every server answers on /api/me and logs `METHOD URI` per request.
 */
import { startCaddy, startHaproxy, type RunningEdge } from '../support/edges';
import { startNginx } from '../support/nginx';

export const SITE = 'https://app.example.com';
export const SESSION_COOKIE = 'session=s3cr3t-session-4f9d2c7e1b';

/**
 * HAProxy in front of a read-only endpoint: preflights from `null` (and the site) pass with
 * credentials for GET only; the actual GET grants the site alone. Nothing can be read or sent from
 * `null` that a simple request could not: the false positive.
 */
export function haproxyNullPreflightOnly(): Promise<RunningEdge> {
  return startHaproxy(`
  acl preflight method OPTIONS
  acl acrm req.hdr(access-control-request-method) -m found
  acl trusted_preflight req.hdr(origin) -m str null ${SITE}
  acl from_site req.hdr(origin) -m str ${SITE}
  http-request return status 204 hdr Access-Control-Allow-Origin "%[req.hdr(origin)]" hdr Access-Control-Allow-Credentials true hdr Access-Control-Allow-Methods GET hdr Vary Origin if preflight acrm trusted_preflight
  http-request return status 204 hdr Vary Origin if preflight
  http-request return status 200 content-type application/json string '{"items":[]}' hdr Access-Control-Allow-Origin ${SITE} hdr Access-Control-Allow-Credentials true hdr Vary Origin if from_site
  http-request return status 200 content-type application/json string '{"items":[]}' hdr Vary Origin`);
}

/**
 * HAProxy in front of an authenticated endpoint: without the session cookie every actual request is
 * 401 without CORS headers; with it, the origin is reflected with credentials (and the cookie is
 * echoed into Access-Control-Expose-Headers, a leak the probe's output must not repeat).
 * `preflightFirst`: preflights are answered (reflecting, with credentials) before authentication,
 * as a CORS layer in front of the auth check does; otherwise they get the 401 too.
 */
export function haproxyAuthenticated(preflightFirst: boolean): Promise<RunningEdge> {
  return startHaproxy(`
  acl preflight method OPTIONS
  acl acrm req.hdr(access-control-request-method) -m found
  acl session req.hdr(cookie) -m str ${SESSION_COOKIE}
  ${preflightFirst ? 'http-request return status 204 hdr Access-Control-Allow-Origin "%[req.hdr(origin)]" hdr Access-Control-Allow-Credentials true hdr Access-Control-Allow-Methods "GET, POST" hdr Vary Origin if preflight acrm' : ''}
  http-request return status 401 content-type text/plain string "login required" if !session
  http-request return status 200 content-type application/json string '{"user":"alice"}' hdr Access-Control-Allow-Origin "%[req.hdr(origin)]" hdr Access-Control-Allow-Credentials true hdr Access-Control-Expose-Headers "%[req.hdr(cookie)]" hdr Vary Origin if session`);
}

/**
 * Caddy (no CORS directive: a matcher, `header` and `respond`) answering every preflight by
 * reflecting the origin with credentials, GET, PUT, DELETE and Content-Type; actual answers carry no
 * CORS headers. A page of any origin can send a credentialed PUT, DELETE or JSON POST: a write, not a read.
 */
export function caddyPreflightGrantsWrites(): Promise<RunningEdge> {
  return startCaddy(`
  @preflight {
    method OPTIONS
    header Access-Control-Request-Method *
  }
  handle @preflight {
    header Access-Control-Allow-Origin {header.Origin}
    header Access-Control-Allow-Credentials true
    header Access-Control-Allow-Methods "GET, PUT, DELETE"
    header Access-Control-Allow-Headers Content-Type
    header Vary Origin
    respond 204
  }
  handle {
    respond \`{"user":"alice"}\` 200
  }`);
}

/** nginx on a POST-only route: GET is 404, OPTIONS is 404 without CORS, POST reflects any origin with credentials. */
export async function nginxPostOnly(): Promise<RunningEdge> {
  const nginx = await startNginx({
    server: `
    location /api/ {
      default_type application/json;
      if ($request_method = POST) {
        add_header Access-Control-Allow-Origin $http_origin always;
        add_header Access-Control-Allow-Credentials true always;
        add_header Vary Origin always;
        return 200 '{"saved":true}';
      }
      return 404;
    }`,
  });
  return { url: nginx.url, requests: () => nginx.accessLog().trim().split('\n').filter(Boolean), stop: nginx.stop };
}

/**
 * nginx answering preflights for a device on the private network: any origin, with credentials and
 * Access-Control-Allow-Private-Network; actual answers carry no CORS headers.
 */
export async function nginxPrivateNetwork(): Promise<RunningEdge> {
  const nginx = await startNginx({
    server: `
    location /api/ {
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin $http_origin;
        add_header Access-Control-Allow-Credentials true;
        add_header Access-Control-Allow-Methods GET;
        add_header Access-Control-Allow-Private-Network true;
        add_header Vary Origin;
        return 204;
      }
      default_type application/json;
      return 200 '{"device":"printer"}';
    }`,
  });
  return { url: nginx.url, requests: () => nginx.accessLog().trim().split('\n').filter(Boolean), stop: nginx.stop };
}
