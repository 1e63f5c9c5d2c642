'use strict';
/**
 * Microbenchmark: `protect()` + `decide()` + `record()` per request, as the Express adapter runs them, on the
 * built package (dist/cjs). Scenarios are interleaved over several rounds and the median is reported,
 * because other processes share these machines.
 *
 *   node bench/micro.js [--json] [--cpu] [--rounds 7] [--iterations 500000]
 * `BENCH_DIST=/path/to/other/build/dist/cjs` measures another build (e.g. the commit before a change).
 * bench/micro-instructions.js counts the same loops' instructions under callgrind.
 */
const { Writable } = require('node:stream');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const winston = require('winston');
const { createSentinel } = require(process.env.BENCH_DIST || '../packages/cors-sentinel/dist/cjs');
const P = require('./policy');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = opt('rounds', 7);
const ITERATIONS = opt('iterations', 500_000);
/**
 * `--cpu`: the process's CPU time (user + system, GC threads included) instead of wall time, for a
 * machine that other processes load: their share of the cores then does not count as ours.
 */
const CPU_CLOCK = args.includes('--cpu');
const clock = CPU_CLOCK
  ? () => {
      const { user, system } = process.cpuUsage();
      return (user + system) * 1000;
    }
  : () => Number(process.hrtime.bigint());

/** Violations go through winston as in production, into a sink (the rate limit keeps them rare). */
function nullLogger() {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  return winston.createLogger({ transports: [new winston.transports.Stream({ stream: sink })] });
}

const HOST = '127.0.0.1:8080';
// The neutral request as the adapters build it (the tenant is bound to the host).
const HEADERS = { [P.TENANT_HEADER]: P.TENANT, host: HOST };
const get = (origin) => ({ method: 'GET', path: '/api/items', origin, host: HOST, hasCookie: false, target: '/api/items', headers: HEADERS });
const preflight = (origin) => ({
  method: 'OPTIONS', path: '/api/items', origin, host: HOST, accessControlRequestMethod: 'PUT',
  accessControlRequestHeaders: 'content-type, authorization', hasCookie: false, target: '/api/items', headers: HEADERS,
});

const staticS = createSentinel(P.sentinelOptions({ logger: nullLogger() }));
const wildcardS = createSentinel(P.sentinelOptions({ origins: ['https://*.example.com'], logger: nullLogger() }));
const resolverS = createSentinel(P.resolverOptions({ logger: nullLogger() }));
// Cross-origin request protection (Fetch Metadata) in report-only: unsafe requests are also judged.
const protectedS = createSentinel(P.sentinelOptions({ logger: nullLogger(), crossOriginProtection: { mode: 'report-only' } }));
// The evidence ledger on (docs/evidence.md): the same policy, one more observer of each decision.
const evidenceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-evidence-'));
const evidenceS = createSentinel(P.sentinelOptions({ logger: nullLogger(), evidence: { file: path.join(evidenceDir, 'cors-evidence.json') } }));
const post = (origin, secFetchSite) => ({ ...get(origin), method: 'POST', secFetchSite });
// The same policy recording through an OpenTelemetry MeterProvider (metrics.meterProvider), when the
// SDK is installed (a devDependency): docs/opentelemetry.md promises at most 2x the prom-client path.
const otelS = otelSentinel();

function otelSentinel() {
  let sdk;
  try {
    sdk = require('@opentelemetry/sdk-metrics');
  } catch {
    return undefined;
  }
  const provider = new sdk.MeterProvider({ readers: [new sdk.PeriodicExportingMetricReader({ exporter: new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 })] });
  return createSentinel(P.sentinelOptions({ logger: nullLogger(), metrics: { meterProvider: provider } }));
}

const SCENARIOS = [
  ['allowed GET (exact)', staticS, get(P.ALLOWED_ORIGIN)],
  ['allowed preflight (exact)', staticS, preflight(P.ALLOWED_ORIGIN)],
  ['allowed GET (wildcard)', wildcardS, get('https://tenant-42.example.com')],
  ['rejected GET', staticS, get(P.REJECTED_ORIGIN)],
  ['rejected preflight', staticS, preflight(P.REJECTED_ORIGIN)],
  ['allowed GET (cached async resolver)', resolverS, get(P.ALLOWED_ORIGIN)],
  ['no Origin (non-CORS)', staticS, get(undefined)],
  ['same-origin POST', staticS, post(undefined, 'same-origin')],
  ['same-origin POST, protected', protectedS, post(undefined, 'same-origin')],
  ['trusted cross-site POST', staticS, post(P.ALLOWED_ORIGIN, 'cross-site')],
  ['trusted cross-site POST, protected', protectedS, post(P.ALLOWED_ORIGIN, 'cross-site')],
  ['untrusted cross-site POST', staticS, post(P.REJECTED_ORIGIN, 'cross-site')],
  ['untrusted cross-site POST, protected', protectedS, post(P.REJECTED_ORIGIN, 'cross-site')],
  ['allowed GET (exact), evidence on', evidenceS, get(P.ALLOWED_ORIGIN)],
  ['allowed preflight (exact), evidence on', evidenceS, preflight(P.ALLOWED_ORIGIN)],
  ['rejected GET, evidence on', evidenceS, get(P.REJECTED_ORIGIN)],
  ...(otelS ? [
    ['allowed GET (exact), OTel', otelS, get(P.ALLOWED_ORIGIN)],
    ['allowed preflight (exact), OTel', otelS, preflight(P.ALLOWED_ORIGIN)],
    ['rejected GET, OTel', otelS, get(P.REJECTED_ORIGIN)],
    ['rejected preflight, OTel', otelS, preflight(P.REJECTED_ORIGIN)],
  ] : []),
];

function run(s, req, n) {
  const t0 = clock();
  for (let i = 0; i < n; i++) {
    s.protect(req);
    const d = s.decide(req);
    s.record(d, 0.0001, req.origin, req); // the request too, as the port passes it
  }
  return (clock() - t0) / n;
}

/** Fills the resolver cache (the first lookup is async) and lets every path warm up. */
async function warmUp(scenarios = SCENARIOS) {
  for (const [, s, req] of scenarios) {
    const d = await s.decide(req);
    if (d.outcome === undefined && req.origin !== undefined) throw new Error('unexpected decision');
    run(s, req, Math.min(ITERATIONS, 100_000));
  }
}

function closeAll() {
  for (const s of [staticS, wildcardS, resolverS, protectedS, otelS, evidenceS]) s?.close();
  fs.rmSync(evidenceDir, { recursive: true, force: true });
}

async function main() {
  await warmUp();
  const samples = SCENARIOS.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    SCENARIOS.forEach(([, s, req], i) => samples[i].push(run(s, req, ITERATIONS)));
  }
  const results = SCENARIOS.map(([name], i) => {
    const sorted = samples[i].slice().sort((a, b) => a - b);
    return { name, medianNs: sorted[Math.floor(sorted.length / 2)], minNs: sorted[0], maxNs: sorted[sorted.length - 1] };
  });
  closeAll();
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(results) + '\n');
  } else {
    for (const r of results) console.log(`${r.name.padEnd(38)} ${r.medianNs.toFixed(0).padStart(6)} ns  (min ${r.minNs.toFixed(0)}, max ${r.maxNs.toFixed(0)})`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { SCENARIOS, run, warmUp, closeAll };
