/**
 * Issue #25's "done when", end to end through real layers. 35 days of generated traffic (./traffic.ts)
 * hit layers that grant every origin with credentials, the way a team inherits them:
 * - days 0–16, the history: an nginx reflecting `$http_origin`, whose `cors_json` access log (each
 *   line with its own time) the built CLI turns into evidence (`logs --format nginx-json --once --evidence`);
 * - days 17–34, live: an Express app with `cors({ origin: true, credentials: true })` under
 *   `corsObserver({ evidence })` over a real socket, the recorder's clock injected (`evidence.now`),
 *   restarted on day 26 (the restart merges the file the first run left).
 * The built CLI's `suggest` reads both files; the library loads the candidate; the same traffic,
 * request by request, is replayed through the enforcing middleware over a socket: no legitimate
 * request is refused by the browser's CORS check, no attack origin is granted, the integrator neither.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cors from 'cors';
import express from 'express';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { loadPolicyFile } from '../../packages/cors-sentinel/src/policy/file';
import type { SuggestReport } from '../../packages/cli/src/suggest/report';
import { listen, send, type Reply } from '../support/http';
import { CLI } from '../support/processes';
import { attackOrigins, BURST, DAY_MS, END, INTEGRATOR, LEGIT, START, TENANTS, traffic, type Request } from './traffic';
import { browserAllows, grantsOrigin, reflectingNginxLine, requestHeaders } from './wire';

jest.setTimeout(120_000);

const LIVE_FROM = START + 17 * DAY_MS;
const RESTART_AT = START + 26 * DAY_MS;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }
const cli = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

/** The request's own time, for the recorder's injected clock: the generated traffic spans 35 days, the test a few seconds. */
const AT = 'x-replay-at';
const CONNECTIONS = 8;

/** Sends `requests` over a few keep-alive connections, in time order; the replies in the same order. */
async function replay(app: express.Express, requests: readonly Request[]): Promise<Reply[]> {
  const server = await listen(app);
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const replies: Reply[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      const { shape, at } = requests[i] as Request;
      replies[i] = await send(server.port, shape.path, { ...requestHeaders(shape), [AT]: String(at) }, shape.preflight ? 'OPTIONS' : shape.method, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  } finally {
    agent.destroy();
    await server.close();
  }
  return replies;
}

/**
 * One run of the app with the permissive layer under the observer. The recorder's clock reads the
 * request's own time: set by the first middleware, read when the response's headers are written —
 * in the same turn of the event loop, as `cors` and the handler answer synchronously.
 */
async function observe(file: string, instance: string, requests: readonly Request[]): Promise<Reply[]> {
  let clock = (requests[0] as Request).at;
  const observer = corsObserver({ logger: false, metrics: false, evidence: { file, instance, now: () => clock } });
  const app = express();
  app.use((req, _res, next) => {
    clock = Number(req.headers[AT]);
    next();
  });
  app.use(observer);
  app.use(cors({ origin: true, credentials: true }));
  app.use((_req, res) => void res.send('ok'));
  try {
    return await replay(app, requests);
  } finally {
    observer.close(); // the shutdown path writes the file
  }
}

const dir = mkdtempSync(join(tmpdir(), 'suggest-replay-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const requests = traffic();
const history = requests.filter((r) => r.at < LIVE_FROM);
const live = requests.filter((r) => r.at >= LIVE_FROM);
const legitOrigins = new Set([...LEGIT.map((a) => a.origin), ...TENANTS]);
const attacks = new Set([...attackOrigins(), ...BURST]);

describe('35 days through layers that granted everything → suggest → the candidate enforced on the same traffic', () => {
  const candidate = join(dir, 'candidate.yaml');
  let permissive: Reply[] = [];
  let suggested: Run;
  let report: SuggestReport;

  beforeAll(async () => {
    // The history: last month's logs of the reflecting nginx, in two rotated files.
    const mid = history.findIndex((r) => r.at >= START + 9 * DAY_MS);
    writeFileSync(join(dir, 'cors.log.1'), `${history.slice(0, mid).map(reflectingNginxLine).join('\n')}\n`);
    writeFileSync(join(dir, 'cors.log'), `${history.slice(mid).map(reflectingNginxLine).join('\n')}\n`);
    const imported = await cli('logs', '--format', 'nginx-json', '--once', '--evidence', join(dir, 'history.json'), join(dir, 'cors.log.1'), join(dir, 'cors.log'));
    expect(imported).toMatchObject({ code: 0 });
    expect(imported.stdout).toContain(`${history.length} observed`);

    // From now on: the live app, restarted once.
    const observed = join(dir, 'web-1.json');
    permissive = [
      ...(await observe(observed, 'web-1:101', live.filter((r) => r.at < RESTART_AT))),
      ...(await observe(observed, 'web-1:102', live.filter((r) => r.at >= RESTART_AT))),
    ];

    suggested = await cli('suggest', '--evidence', join(dir, 'history.json'), '--evidence', observed, '--trust', 'example.com', '--trust', 'example-store.net',
      '--now', new Date(END - 1000).toISOString(), '--out', candidate, '--report', join(dir, 'report.json'));
    expect(suggested).toMatchObject({ code: 0 });
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as SuggestReport;
  });

  it('the permissive layer granted every request a browser sent, attacks included', () => {
    expect(live.filter((r, i) => !browserAllows(r.shape, permissive[i] as Reply)).map((r) => r.shape.origin)).toEqual([]);
  });

  it('replayed through the candidate: 0 legitimate requests rejected, 0 attack origins allowed, the integrator not allowed', async () => {
    const app = express();
    app.use(corsSentinel({ ...loadPolicyFile(candidate), logger: false, metrics: false }));
    app.use((_req, res) => void res.send('ok'));
    const replies = await replay(app, requests);
    const failures = { legitRejected: new Set<string>(), attackAllowed: new Set<string>(), integratorAllowed: new Set<string>() };
    requests.forEach((r, i) => {
      const reply = replies[i] as Reply;
      const label = `${r.shape.origin} ${r.shape.preflight ? 'preflight ' : ''}${r.shape.method} ${r.shape.path}`;
      if (r.kind === 'legit' && !browserAllows(r.shape, reply)) failures.legitRejected.add(label);
      if (r.kind === 'attack' && grantsOrigin(r.shape, reply)) failures.attackAllowed.add(label);
      if (r.kind === 'integrator' && grantsOrigin(r.shape, reply)) failures.integratorAllowed.add(label);
    });
    expect(failures).toEqual({ legitRejected: new Set(), attackAllowed: new Set(), integratorAllowed: new Set() });
    // The run covers what the issue asks for.
    const kinds = new Set(requests.map((r) => r.kind));
    expect(kinds).toEqual(new Set(['legit', 'attack', 'integrator']));
    expect(legitOrigins.size).toBe(52);
    expect(attacks.size).toBeGreaterThan(350);
  });

  it('puts the integrator under review, and every legitimate origin is allowed (the weekly and month-end ones as recurring)', () => {
    const byOrigin = new Map(report.origins.map((o) => [o.origin, o]));
    expect(byOrigin.get(INTEGRATOR)).toMatchObject({ tier: 'kept-steady', decision: 'review' });
    expect(readFileSync(candidate, 'utf8')).toContain(`review  ${INTEGRATOR}`);
    expect([...legitOrigins].filter((o) => byOrigin.get(o)?.decision !== 'allow')).toEqual([]);
    for (const origin of ['https://reports.example.com', 'https://billing.example.com']) expect(byOrigin.get(origin)?.tier).toBe('kept-recurring');
  });

  it('denies every attack origin the evidence kept (malformed ones under __invalid__), and nothing else is in it', () => {
    const isAttack = (origin: string): boolean => attacks.has(origin) || origin === '__invalid__';
    const kept = report.origins.filter((o) => isAttack(o.origin));
    expect(kept.filter((o) => o.tier !== 'suspect' || o.decision !== 'deny').map((o) => o.origin)).toEqual([]);
    expect(report.origins.filter((o) => !isAttack(o.origin) && !legitOrigins.has(o.origin) && o.origin !== INTEGRATOR)).toEqual([]);
    // Denied because the evidence held them, not because it lost them: only malformed ones are missing by name.
    const named = new Set(report.origins.map((o) => o.origin));
    expect([...attacks].filter((o) => !named.has(o) && /^https?:\/\/[a-z0-9.-]+$/.test(o))).toEqual([]);
    expect(named.has('null') && named.has('__invalid__')).toBe(true);
  });

  it('dated every request by its own time: every origin in the evidence on the days it called, the window whole', () => {
    const days = new Map<string, Set<string>>();
    for (const { shape, at } of requests) {
      const set = days.get(shape.origin) ?? days.set(shape.origin, new Set()).get(shape.origin) as Set<string>;
      set.add(new Date(at).toISOString().slice(0, 10));
    }
    const byOrigin = new Map(report.origins.map((o) => [o.origin, o]));
    const wrong = [...legitOrigins, INTEGRATOR].filter((o) => byOrigin.get(o)?.days !== days.get(o)?.size);
    expect(wrong).toEqual([]);
    expect(report.completeness).toMatchObject({ windowDays: 35, recordedDays: 35, gapDays: [], instances: 3 });
    expect(suggested.stdout).toContain('window: 2026-01-27 .. 2026-03-02 (35 day(s), 35 recorded); no gap days');
  });
});
