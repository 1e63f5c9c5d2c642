/**
 * The security rules (docs/threat-model.md) that hold per request. Each test plays the attacker (or the
 * unlucky operator) and checks what actually goes over the wire through Express.
 */
import express from 'express';
import request from 'supertest';
import winston from 'winston';
import Transport from 'winston-transport';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { compilePolicy } from '../../packages/cors-sentinel/src/engine/compile-policy';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import { decideSync, metricSum, preflight, req, testSentinel } from '../support/sentinel';

function appWith(options: CorsSentinelOptions, setup?: (app: express.Express) => void) {
  const cors = corsSentinel({ logger: false, metrics: { registry: new Registry() }, ...options });
  const app = express();
  setup?.(app);
  app.use(cors);
  app.all('/{*path}', (_req, res) => {
    res.json({ handled: true });
  });
  return { app, cors };
}

describe('rule 3: whole parsed origins, no prefix/suffix/substring matching', () => {
  const s = testSentinel({ origins: ['https://app.example.com', 'https://*.tenant.example.com', /^https:\/\/pr-\d+\.preview\.example\.com$/] });
  it.each([
    'https://app.example.com.evil.com',
    'https://evilapp.example.com',
    'https://app.example.co',
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://app.example.com/',
    'https://app.example.com@evil.com',
    'https://app.example.com%2e.evil.com',
    'https://app.example.com\\.evil.com',
    ' https://app.example.com',
    'https://tenant.example.com',
    'https://eviltenant.example.com',
    'https://a.tenant.example.com.evil.com',
    'https://.tenant.example.com',
    'https://a..tenant.example.com',
    'http://a.tenant.example.com',
    'https://a.tenant.example.com:444',
    'https://pr-12.preview.example.com.evil.com',
    'https://pr-x.preview.example.com',
  ])('rejects %s', (origin) => {
    const d = decideSync(s, req({ origin }));
    expect(d.outcome).toBe('rejected');
    expect(d.headers).toEqual([]);
  });

  it.each(['https://app.example.com', 'https://APP.example.com', 'https://app.example.com:443', 'https://a.tenant.example.com', 'https://a.b.tenant.example.com', 'https://pr-7.preview.example.com'])(
    'allows %s',
    (origin) => {
      expect(decideSync(s, req({ origin })).outcome).toBe('allowed');
    },
  );

  it('refuses unanchored RegExps and the stateful g/y flags', () => {
    const codes = (origins: RegExp[]) => {
      try {
        compilePolicy({ origins });
        return [];
      } catch (err) {
        return (err as CorsConfigError).problems.map((p) => p.code);
      }
    };
    expect(codes([/example\.com$/, /^https:\/\/example\.com/, /^https:\/\/a\.com$|evil/, /^https:\/\/a\.com\$/])).toEqual([
      'unanchored_regexp', 'unanchored_regexp', 'unanchored_regexp', 'unanchored_regexp',
    ]);
    expect(codes([/^https:\/\/a\.com$/g, /^https:\/\/a\.com$/y])).toEqual(['stateful_regexp_flag', 'stateful_regexp_flag']);
    expect(codes([/^(https:\/\/a\.com|https:\/\/b\.com)$/, /^https:\/\/a\.com$|^https:\/\/b\.com$/])).toEqual([]);
  });
});

describe('rule 6: Vary: Origin is appended whenever the answer depends on Origin', () => {
  const { app } = appWith({ origins: ['https://app.example.com'] }, (a) =>
    a.use((_req, res, next) => {
      res.setHeader('Vary', 'Accept-Encoding');
      next();
    }),
  );
  it('appends to an existing Vary on allowed, rejected and non-CORS responses', async () => {
    for (const origin of ['https://app.example.com', 'https://evil.example.com', undefined]) {
      const r = request(app).get('/x');
      const res = await (origin ? r.set('Origin', origin) : r);
      expect(res.headers.vary).toBe('Accept-Encoding, Origin');
    }
  });
  it('varies preflights on the request method and headers too, rejections included', async () => {
    for (const origin of ['https://app.example.com', 'https://evil.example.com']) {
      const res = await request(app).options('/x').set('Origin', origin).set('Access-Control-Request-Method', 'PUT');
      expect(res.headers.vary).toBe('Accept-Encoding, Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network');
    }
  });
  it('does not vary a "*" policy, whose answer is the same for everyone', async () => {
    const { app: open } = appWith({ origins: '*' });
    const res = await request(open).get('/x').set('Origin', 'https://any.example');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers.vary).toBeUndefined();
  });
});

describe('rule 7: a preflight is OPTIONS + Origin + Access-Control-Request-Method', () => {
  const { app, cors } = appWith({ origins: ['https://app.example.com'] });
  it('passes other OPTIONS requests to the app', async () => {
    const noAcrm = await request(app).options('/x').set('Origin', 'https://app.example.com');
    expect(noAcrm.body).toEqual({ handled: true });
    const noOrigin = await request(app).options('/x').set('Access-Control-Request-Method', 'PUT');
    expect(noOrigin.body).toEqual({ handled: true });
    const real = await request(app).options('/x').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
    expect(real.status).toBe(204);
    expect(real.text).toBe('');
    expect(await metricSum(cors.registry!, 'cors_requests_total', { request_type: 'preflight' })).toBe(1);
    expect(await metricSum(cors.registry!, 'cors_requests_total', { request_type: 'actual' })).toBe(1);
  });
});

describe('rule 8: requested headers are validated, capped and never echoed blindly', () => {
  const s = testSentinel({ origins: ['https://app.example.com'], allowedHeaders: ['content-type', 'x-api-key'] });
  it('rejects unlisted, malformed and oversized requests', () => {
    const cases: Array<[string, string]> = [
      ['x-evil', 'header_not_allowed'],
      ['content-type, x-evil', 'header_not_allowed'],
      ['content-type\r\nset-cookie: a=b', 'header_not_allowed'],
      // RFC 9110 §5.6.1.2: a few empty elements are ignored (see test/security/empty-list-elements.test.ts), not 17.
      [`content-type${','.repeat(18)}x-api-key`, 'headers_too_large'],
      [Array.from({ length: 33 }, (_, i) => `x-h${i}`).join(','), 'headers_too_large'],
      [`x-${'a'.repeat(2100)}`, 'headers_too_large'],
    ];
    for (const [headers, reason] of cases) {
      expect(decideSync(s, preflight('https://app.example.com', 'PUT', headers)).reason).toBe(reason);
    }
    expect(decideSync(s, preflight('https://app.example.com', 'PUT', 'Content-Type , X-API-Key')).outcome).toBe('allowed');
  });
  it('with "*", echoes only validated names, and Authorization only when listed (as browsers do)', () => {
    const any = testSentinel({ origins: ['https://app.example.com'], allowedHeaders: '*' });
    const d = decideSync(any, preflight('https://app.example.com', 'PUT', 'X-One, x-two'));
    expect(d.headers).toContainEqual(['Access-Control-Allow-Headers', 'x-one, x-two']);
    expect(decideSync(any, preflight('https://app.example.com', 'PUT', 'x-one\u0000')).reason).toBe('header_not_allowed');
    expect(decideSync(any, preflight('https://app.example.com', 'PUT', 'x-one, authorization')).reason).toBe('header_not_allowed');
    const withAuth = testSentinel({ origins: ['https://app.example.com'], allowedHeaders: ['*', 'authorization'] });
    expect(decideSync(withAuth, preflight('https://app.example.com', 'PUT', 'x-one, authorization')).outcome).toBe('allowed');
  });
});

describe('rule 9: a rejected preflight reveals nothing of the policy', () => {
  it('answers 403 with an empty body and no Access-Control-* header', async () => {
    const { app } = appWith({ origins: ['https://app.example.com'], allowedHeaders: ['x-secret-header'], methods: ['GET', 'PURGE'], maxAge: 600, credentials: true });
    for (const [origin, method] of [['https://evil.example.com', 'PUT'], ['https://app.example.com', 'CONNECTX']] as const) {
      const res = await request(app).options('/x').set('Origin', origin).set('Access-Control-Request-Method', method);
      expect(res.status).toBe(403);
      expect(res.text).toBe('');
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });
  it('uses the configured status', async () => {
    const { app } = appWith({ origins: ['https://app.example.com'], rejectedPreflightStatus: 404 });
    const res = await request(app).options('/x').set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'GET');
    expect(res.status).toBe(404);
  });
});

describe('rule 10: a denial is a decision, never a 500; resolvers time out and fail closed', () => {
  it.each<[string, () => boolean | Promise<boolean>, string]>([
    ['throws', () => { throw new Error('db down'); }, 'resolver_error'],
    ['rejects', () => Promise.reject(new Error('db down')), 'resolver_error'],
    ['hangs', () => new Promise<boolean>(() => undefined), 'resolver_timeout'],
  ])('a resolver that %s yields %s and the app still answers', async (_name, resolveOrigin, reason) => {
    const { app, cors } = appWith({ origins: ['https://app.example.com'], resolveOrigin, resolverTimeoutMs: 50 });
    const started = Date.now();
    const actual = await request(app).get('/x').set('Origin', 'https://tenant.example.org');
    expect(actual.status).toBe(200);
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await request(app).options('/x').set('Origin', 'https://other.example.org').set('Access-Control-Request-Method', 'PUT');
    expect(pre.status).toBe(403);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await metricSum(cors.registry!, 'cors_violations_total', { reason })).toBe(2);
  });
});

describe('rule 14: logs carry no unescaped request text and cannot be flooded', () => {
  it('escapes control and non-ASCII characters and rate-limits per reason with a suppressed count', () => {
    const lines: Array<Record<string, unknown>> = [];
    class Memory extends Transport {
      override log(info: Record<string, unknown>, next: () => void): void {
        lines.push(info);
        next();
      }
    }
    const logger = winston.createLogger({ transports: [new Memory()] });
    const cors = corsSentinel({ origins: ['https://app.example.com'], logger, logging: { maxPerInterval: 5, intervalMs: 60_000 }, metrics: { registry: new Registry() } });
    const s = cors;
    s.record(decideSync(s, req({ origin: 'https://evil.example.com\r\n{"level":"error"}\u202e' })), 0, 'https://evil.example.com\r\n{"level":"error"}\u202e');
    for (let i = 0; i < 1000; i++) s.record(decideSync(s, req({ origin: `https://x${i}.attacker.test` })), 0);
    s.close();
    const invalid = lines.find((l) => l.reason === 'invalid_origin');
    expect(invalid?.rawOrigin).toBe('https://evil.example.com\\u000d\\u000a{"level":"error"}\\u202e');
    const notAllowed = lines.filter((l) => l.reason === 'origin_not_allowed' && l.message === 'cors violation');
    expect(notAllowed).toHaveLength(5);
    const summary = lines.find((l) => l.message === 'cors log lines suppressed' && l.reason === 'origin_not_allowed');
    expect(summary?.suppressed).toBe(995);
  });
});

describe('rule 15: stacked CORS layers are detected', () => {
  it('counts a finding when another layer already set Access-Control-Allow-Origin', async () => {
    const { app, cors } = appWith({ origins: ['https://app.example.com'] }, (a) =>
      a.use((_req, res, next) => {
        res.setHeader('Access-Control-Allow-Origin', '*');
        next();
      }),
    );
    await request(app).get('/x').set('Origin', 'https://app.example.com');
    await request(app).get('/x');
    expect(await metricSum(cors.registry!, 'cors_response_findings_total', { finding: 'acao_already_set' })).toBe(1);
  });
});

describe('rule 16: CORS is not access control; rejecting actual requests is opt-in', () => {
  it('by default a rejected origin\'s request still reaches the app, without CORS headers', async () => {
    let ran = 0;
    const { app } = appWith({ origins: ['https://app.example.com'] }, (a) => a.use((_req, _res, next) => { ran++; next(); }));
    const res = await request(app).post('/x').set('Origin', 'https://evil.example.com');
    expect(res.body).toEqual({ handled: true });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(ran).toBe(1);
  });
  it('with rejectActualRequests the app never sees it', async () => {
    const cors = corsSentinel({ origins: ['https://app.example.com'], rejectActualRequests: true, logger: false, metrics: false });
    const app = express();
    let handled = 0;
    app.use(cors);
    app.post('/x', (_req, res) => { handled++; res.json({}); });
    const res = await request(app).post('/x').set('Origin', 'https://evil.example.com');
    expect(res.status).toBe(403);
    expect(handled).toBe(0);
    await request(app).post('/x').set('Origin', 'https://app.example.com').expect(200);
    expect(handled).toBe(1);
  });
});
