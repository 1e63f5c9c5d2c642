/** The report-only candidate policy, in enforce mode and in observer mode. */
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { CorsConfigError } from '../../packages/cors-sentinel/src/policy/errors';
import type { ReportOnlyPolicyOptions } from '../../packages/cors-sentinel/src/policy/options';
import { listen, memoryLogger, send, series, type Exchange, type Req } from '../support/exchange';

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';
const LEGACY = 'https://legacy.example.com';
const NEWAPP = 'https://new.example.com';
const EVIL = 'https://evil.example.net';

const preflight = (origin: string, method: string, path = '/api/items'): Req => ({
  method: 'OPTIONS', path, headers: { Origin: origin, 'Access-Control-Request-Method': method },
});
const get = (origin: string | undefined, path = '/api/items'): Req => ({ path, headers: origin ? { Origin: origin } : {} });

/** [count, request]: the scripted mix, with the change each request should produce in comments. */
const MIX: Array<[number, Req]> = [
  [3, get(APP)], // allowed by both
  [2, get(LEGACY)], // would_reject
  [4, get(NEWAPP)], // would_allow
  [2, get(EVIL)], // rejected by both
  [1, preflight(ADMIN, 'DELETE')], // would_reject: the candidate drops DELETE
  [1, preflight(ADMIN, 'PUT')], // allowed by both
  [1, preflight(NEWAPP, 'PUT')], // would_allow
  [2, get(undefined)], // not CORS
  [1, get(LEGACY, '/other')], // would_reject, on the default route
];
const CANDIDATE: ReportOnlyPolicyOptions = {
  origins: [APP, ADMIN, NEWAPP],
  methods: ['GET', 'POST', 'PUT'],
  routes: [{ path: '/api/*', name: 'candidate-api' }],
};
const EXPECTED = {
  'cors_shadow_decisions_total{change=would_reject,route=api}': 3,
  'cors_shadow_decisions_total{change=would_allow,route=api}': 5,
  'cors_shadow_decisions_total{change=would_reject,route=default}': 1,
};

async function play(handlers: RequestHandler[], mix = MIX): Promise<Exchange[]> {
  const app = express();
  for (const h of handlers) app.use(h);
  app.all('/{*any}', (_req, res) => { res.send('ok'); });
  const server = await listen(app);
  const out: Exchange[] = [];
  try {
    for (const [n, r] of mix) for (let i = 0; i < n; i++) out.push(await send(server.port, r));
  } finally {
    await server.close();
  }
  return out;
}

const live = { origins: [APP, ADMIN, LEGACY], routes: [{ path: '/api/*', name: 'api' }] };

describe('report-only candidate in enforce mode', () => {
  test('a scripted mix yields exact would_reject / would_allow counts by live route', async () => {
    const registry = new Registry();
    const mw = corsSentinel({ ...live, logger: false, metrics: { registry }, reportOnly: CANDIDATE });
    await play([mw]);
    await mw.settleReportOnly();
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual(EXPECTED);
    mw.close();
  });

  test('the candidate changes no response', async () => {
    const strip = (e: Exchange) => ({ status: e.status, body: e.body, fields: e.fields.filter(([n]) => n !== 'date') });
    const without = await play([corsSentinel({ ...live, logger: false, metrics: false })]);
    const withCandidate = await play([corsSentinel({ ...live, logger: false, metrics: false, reportOnly: CANDIDATE })]);
    expect(withCandidate.map(strip)).toEqual(without.map(strip));
  });

  test('an async candidate resolver never delays the response; its answer is counted when it settles', async () => {
    const registry = new Registry();
    let answer: (allowed: boolean) => void = () => undefined;
    const lookup = new Promise<boolean>((resolve) => (answer = resolve));
    const mw = corsSentinel({
      origins: [APP], logger: false, metrics: { registry },
      // Selective, as a real resolver is (one that says yes to everything is refused as reflection).
      reportOnly: { origins: [APP], resolveOrigin: (o) => lookup.then((allowed) => allowed && o === NEWAPP), resolverTimeoutMs: 60_000 },
    });
    const [res] = await play([mw], [[1, get(NEWAPP)]]);
    // The response is complete while the candidate's lookup is still pending.
    expect(res?.status).toBe(200);
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual({});
    answer(true);
    await mw.settleReportOnly();
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual({ 'cors_shadow_decisions_total{change=would_allow,route=default}': 1 });
    mw.close();
  });

  test('samples of the differences are logged, rate-limited per change', async () => {
    const log = memoryLogger();
    const mw = corsSentinel({ ...live, logger: log.logger, logging: { maxPerInterval: 1 }, metrics: false, reportOnly: CANDIDATE });
    await play([mw]);
    mw.close();
    const samples = log.lines.filter((l) => l.message === 'cors report-only difference');
    expect(samples).toEqual([
      expect.objectContaining({ change: 'would_reject', route: 'api', requestType: 'actual', origin: LEGACY, candidateRoute: 'candidate-api', candidateReason: 'origin_not_allowed' }),
      expect.objectContaining({ change: 'would_allow', route: 'api', origin: NEWAPP, liveReason: 'origin_not_allowed' }),
    ]);
    const summaries = log.lines.filter((l) => l.message === 'cors log lines suppressed' && 'change' in l);
    expect(summaries).toEqual(expect.arrayContaining([
      expect.objectContaining({ change: 'would_reject', suppressed: 3 }),
      expect.objectContaining({ change: 'would_allow', suppressed: 4 }),
    ]));
  });

  test('a candidate is validated like the live policy, and both are reported in one error', () => {
    let error: unknown;
    try {
      corsSentinel({
        origins: [], logger: false, metrics: false,
        reportOnly: { origins: ['https://app.example.com/path', /app/], credentials: 'yes' as unknown as boolean, metrics: {} } as ReportOnlyPolicyOptions,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorsConfigError);
    expect((error as CorsConfigError).problems.map((p) => `${p.path} ${p.code}`).sort()).toEqual([
      'origins no_origins',
      'reportOnly.credentials invalid_type',
      'reportOnly.metrics unknown_option',
      'reportOnly.origins[0] origin_has_path',
      'reportOnly.origins[1] unanchored_regexp',
    ]);
  });

  test('without reportOnly nothing is evaluated or counted', async () => {
    const registry = new Registry();
    const mw = corsSentinel({ ...live, logger: false, metrics: { registry } });
    expect(mw.candidate).toBeUndefined();
    await play([mw]);
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual({});
  });
});

describe('report-only candidate in observer mode', () => {
  test('the candidate is compared with what the existing cors layer answered', async () => {
    const registry = new Registry();
    const observer = corsObserver({ logger: false, metrics: { registry }, routes: [{ path: '/api/*', name: 'api' }], reportOnly: CANDIDATE });
    await play([observer, cors({ origin: [APP, ADMIN, LEGACY], optionsSuccessStatus: 204 })]);
    await observer.settleReportOnly();
    // cors never judges methods, but the browser does: DELETE is in cors's default ACAM, so the live answer allowed it.
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual(EXPECTED);
    observer.close();
  });

  test('a candidate that turns CORS off for a route would reject what the live layer allowed', async () => {
    const registry = new Registry();
    const observer = corsObserver({ logger: false, metrics: { registry }, reportOnly: { origins: [APP], routes: [{ path: '/api/*', origin: false }] } });
    await play([observer, cors({ origin: [APP] })], [[2, get(APP)], [1, get(APP, '/other')]]);
    expect(await series(registry, 'cors_shadow_decisions_total')).toEqual({ 'cors_shadow_decisions_total{change=would_reject,route=default}': 2 });
    observer.close();
  });
});
