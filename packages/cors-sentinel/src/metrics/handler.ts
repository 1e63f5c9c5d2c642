/**
 * Serves a registry in the Prometheus text format, optionally behind bearer or basic auth, on the
 * app's own router or on a separate port. Metrics reveal which origins are trusted and which attack,
 * so a deployment that exposes the API publicly should protect them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ProblemCollector } from '../policy/errors';
import { AUTH_KEYS, checkKeys } from '../policy/nested-options';
import type { MetricsAuth } from '../policy/options';
import { createAdminListener, listenOn } from './admin-listener';

export type { MetricsAuth };

export interface MetricsHandlerOptions {
  readonly auth?: MetricsAuth;
}

export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createMetricsHandler(registry: Registry, options: MetricsHandlerOptions = {}): MetricsHandler {
  const expected = options.auth ? expectedAuthorization(options.auth) : undefined;
  return (req, res) => {
    if (expected !== undefined && !sameSecret(req.headers.authorization ?? '', expected)) {
      const scheme = options.auth && 'bearerToken' in options.auth ? 'Bearer' : 'Basic realm="metrics"';
      res.writeHead(401, { 'WWW-Authenticate': scheme, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Unauthorized\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('metrics collection failed\n');
      },
    );
  };
}

/** Shorter secrets are refused: a scrape credential is guessed over the network, without a lockout. */
export const MIN_METRICS_SECRET_LENGTH = 16;

/** Refuses weak or malformed credentials when the handler is created, with every problem at once. */
function expectedAuthorization(auth: MetricsAuth): string {
  const problems = new ProblemCollector();
  const secret = (path: string, value: unknown, what: string): void => {
    if (typeof value !== 'string' || value.length < MIN_METRICS_SECRET_LENGTH) {
      problems.add(path, 'weak_metrics_credentials', `the ${what} must be at least ${MIN_METRICS_SECRET_LENGTH} characters; generate one, e.g. \`openssl rand -hex 32\``);
    } else if (/[\s\x00-\x1f\x7f]/.test(value)) {
      problems.add(path, 'weak_metrics_credentials', `the ${what} contains whitespace or control characters, which an Authorization header cannot carry intact`);
    }
  };
  if (typeof auth !== 'object' || auth === null) {
    problems.add('auth', 'invalid_type', 'expected { bearerToken } or { username, password }');
    problems.throwIfAny();
  }
  checkKeys(auth, AUTH_KEYS, 'auth.', problems);
  if ('bearerToken' in auth) {
    secret('auth.bearerToken', auth.bearerToken, 'bearer token');
  } else {
    const { username, password } = auth as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || username === '' || username.includes(':')) {
      problems.add('auth.username', 'weak_metrics_credentials', 'basic auth needs a non-empty username without ":"');
    }
    secret('auth.password', password, 'basic auth password');
  }
  problems.throwIfAny();
  if ('bearerToken' in auth) return `Bearer ${auth.bearerToken}`;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** Constant-time comparison (of digests, so that lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface MetricsServerOptions extends MetricsHandlerOptions {
  readonly port: number;
  /** Default 127.0.0.1: expose it wider on purpose. */
  readonly host?: string;
  /** Default `/metrics`; other paths answer 404. */
  readonly path?: string;
}

/** Starts a separate HTTP server that answers only the metrics path (the admin listener). Resolves once listening. */
export async function serveMetrics(registry: Registry, options: MetricsServerOptions): Promise<Server> {
  const server = createAdminListener({ routes: { [options.path ?? '/metrics']: createMetricsHandler(registry, options) } });
  await listenOn(server, options.port, options.host);
  return server;
}
