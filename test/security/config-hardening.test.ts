/**
 * Issue #12 items 13, 14 and 15: what a cache, a scraper's credentials and a migrating operator
 * need from the configuration, checked over real sockets where a request is involved.
 */
import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { MIN_METRICS_SECRET_LENGTH } from '../../packages/cors-sentinel/src/metrics/handler';

function problems(options: CorsSentinelOptions): { code: string; path: string; message: string }[] {
  try {
    corsSentinel({ logger: false, metrics: false, ...options }).close();
  } catch (err) {
    if (err instanceof CorsConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('item 13: Vary names Access-Control-Request-Private-Network', () => {
  it('on preflights whose answer depends on it, with Private Network Access off (204 vs 403)', async () => {
    const cors = corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: { registry: new Registry() } });
    const app = express().use(cors);
    const ask = (pna: boolean) => {
      const r = request(app).options('/x').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
      return pna ? r.set('Access-Control-Request-Private-Network', 'true') : r;
    };
    const [plain, privateNetwork] = [await ask(false), await ask(true)];
    expect([plain.status, privateNetwork.status]).toEqual([204, 403]);
    for (const res of [plain, privateNetwork]) expect(res.headers.vary).toContain('Access-Control-Request-Private-Network');
    cors.close();
  });
});

describe('item 14: weak /metrics credentials are refused when the handler is configured', () => {
  const cors = corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: { registry: new Registry() } });
  afterAll(() => cors.close());

  it.each([
    [{ bearerToken: 'x' }, 'auth.bearerToken'],
    [{ bearerToken: 'a'.repeat(MIN_METRICS_SECRET_LENGTH - 1) }, 'auth.bearerToken'],
    [{ bearerToken: `${'a'.repeat(MIN_METRICS_SECRET_LENGTH)} b` }, 'auth.bearerToken'],
    [{ username: 'prom', password: '' }, 'auth.password'],
    [{ username: '', password: 'a'.repeat(MIN_METRICS_SECRET_LENGTH) }, 'auth.username'],
  ])('refuses %j', (auth, path) => {
    let caught: unknown;
    try {
      cors.metricsHandler({ auth });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CorsConfigError);
    expect((caught as CorsConfigError).problems).toEqual([expect.objectContaining({ path, code: 'weak_metrics_credentials' })]);
  });

  it('refuses them for a separate metrics port too, before it listens', async () => {
    await expect(cors.serveMetrics({ port: 0, auth: { bearerToken: 'short' } })).rejects.toBeInstanceOf(CorsConfigError);
  });

  it('serves a scraper with a strong token and nobody else', async () => {
    const token = 'k'.repeat(MIN_METRICS_SECRET_LENGTH);
    const app = express().get('/metrics', cors.metricsHandler({ auth: { bearerToken: token } }));
    await request(app).get('/metrics').set('Authorization', 'Bearer k').expect(401);
    await request(app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
  });
});

describe('item 15: scheme-less origins and empty lists are refused with the likely fix', () => {
  it.each([
    ['example.com', 'did you mean "https://example.com"?'],
    ['localhost:3000', 'did you mean "http://localhost:3000"?'],
    ['127.0.0.1:8080', 'did you mean "http://127.0.0.1:8080"?'],
    ['App.Example.com:8443', 'did you mean "https://app.example.com:8443"?'],
    ['', 'is the environment variable it comes from unset?'],
    ['https://a.example,https://b.example', 'split it', 'origin_has_path'],
  ])('%j', (origin, hint, code = 'invalid_origin') => {
    const found = problems({ origins: origin });
    expect(found[0]?.code).toBe(code);
    expect(found[0]?.message).toContain(hint);
  });

  it('an empty list', () => {
    const found = problems({ origins: [] });
    expect(found.map((p) => p.code)).toEqual(['no_origins']);
    expect(found[0]?.message).toContain('is the environment variable it is built from unset?');
  });
});

describe('misspelled option keys, nested ones included, are reported with a suggestion', () => {
  it('lists every unknown key in the one CorsConfigError', () => {
    const found = problems({
      origins: ['https://app.example.com'],
      credential: true,
      metrics: { originLabelLimt: 5 },
      logging: { maxPerIntervall: 3 },
      routes: [{ path: '/api/*', orgins: ['https://app.example.com'] }],
    } as never);
    expect(found.map((p) => [p.path, p.code])).toEqual([
      ['credential', 'unknown_option'],
      ['metrics.originLabelLimt', 'unknown_option'],
      ['logging.maxPerIntervall', 'unknown_option'],
      ['routes[0].orgins', 'unknown_option'],
    ]);
    expect(found.map((p) => p.message)).toEqual([
      'unknown option "credential"; did you mean "credentials"?',
      'unknown option "originLabelLimt"; did you mean "originLabelLimit"?',
      'unknown option "maxPerIntervall"; did you mean "maxPerInterval"?',
      'unknown option "orgins"; did you mean "origins"?',
    ]);
  });

  it('reports unusable metrics and logging values together with every other problem, instead of one TypeError at a time', () => {
    const found = problems({
      origins: ['https://app.example.com', 'app.example.org'],
      metrics: { originLabelLimit: -1, originLabelHoldMs: 5, prefix: 'cors sentinel', preflightBuckets: [1, 0.5], cluster: 'yes', registry: {} },
      logging: { maxPerInterval: 'x', intervalMs: 0, level: 3 },
      logger: 'console',
    } as never);
    expect(found.map((p) => [p.path, p.code])).toEqual([
      ['metrics.registry', 'invalid_type'],
      ['metrics.prefix', 'invalid_type'],
      ['metrics.originLabelLimit', 'invalid_number'],
      ['metrics.originLabelHoldMs', 'invalid_number'],
      ['metrics.cluster', 'invalid_type'],
      ['metrics.preflightBuckets', 'invalid_number'],
      ['logging.maxPerInterval', 'invalid_number'],
      ['logging.intervalMs', 'invalid_number'],
      ['logging.level', 'invalid_type'],
      ['logger', 'invalid_type'],
      ['origins[1]', 'invalid_origin'],
    ]);
    expect(found[5]?.message).toBe('expected upper bounds in seconds, positive and increasing (e.g. [0.001, 0.01, 0.1]), got an array');
  });

  it('accepts the documented values', () => {
    expect(problems({
      origins: ['https://app.example.com'],
      metrics: { originLabelLimit: 0, originLabelHoldMs: 100, prefix: 'api:cors_', preflightBuckets: [0.001, 0.01], cluster: false, registry: new Registry() },
      logging: { maxPerInterval: 0, intervalMs: 1, level: 'info' },
    })).toEqual([]);
  });

  it('refuses a metrics or logging value that is not an object, and misspelled metrics auth keys', () => {
    expect(problems({ origins: ['https://app.example.com'], logging: 'verbose' } as never).map((p) => p.path)).toEqual(['logging']);
    const cors = corsSentinel({ origins: ['https://app.example.com'], logger: false, metrics: { registry: new Registry() } });
    try {
      cors.metricsHandler({ auth: { bearerTokn: 'k'.repeat(MIN_METRICS_SECRET_LENGTH) } as never });
      throw new Error('expected a CorsConfigError');
    } catch (err) {
      expect((err as CorsConfigError).problems[0]).toEqual(expect.objectContaining({ path: 'auth.bearerTokn', message: 'unknown option "bearerTokn"; did you mean "bearerToken"?' }));
    } finally {
      cors.close();
    }
  });
});
