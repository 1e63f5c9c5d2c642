'use strict';
/**
 * The load benchmark (`npm run bench`). Every server runs as its own process pinned to one CPU; wrk
 * drives it from the other. Repetitions are interleaved (every server, every workload, then again,
 * in a rotated order) and each measured run has its own warm-up, so that the machine's noise hits
 * all servers alike; the table reports medians and same-repetition ratios, never cross-run figures.
 *
 * Environment: BENCH_REPS (4), BENCH_SECONDS (2), BENCH_WARMUP (1), BENCH_CONNECTIONS (50),
 * BENCH_FLOOD_ORIGINS (200000), BENCH_FLOOD=0 (skip the flood), BENCH_MICRO=0 (skip the microbenchmark), BENCH_ONLY (comma-separated server kinds), BENCH_QUICK=1 (smoke run),
 * BENCH_SERVER_CPU / BENCH_CLIENT_CPU (0 / 1), BENCH_NGINX (/usr/sbin/nginx).
 */
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const P = require('./policy');
const { have, cpuPlan, startServer, stopServer, rss, memoryAfterGc, wrk, get, NGINX } = require('./lib/procs');
const { median, renderReport, evaluateTargets, REFERENCE: REFERENCE_KIND } = require('./lib/report');

const quick = process.env.BENCH_QUICK === '1';
const num = (name, fallback) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);
const CONFIG = {
  reps: num('BENCH_REPS', quick ? 2 : 4),
  seconds: num('BENCH_SECONDS', quick ? 1 : 2),
  warmup: num('BENCH_WARMUP', 1),
  connections: num('BENCH_CONNECTIONS', 50),
  floodOrigins: num('BENCH_FLOOD_ORIGINS', quick ? 30_000 : 200_000),
  floodChunkSeconds: 5,
  baselineSeconds: 5,
};

/** Servers in table order; `flood` servers also get the origin flood (those with /metrics, plus two baselines). */
const SERVERS = [
  { kind: 'express', flood: false },
  { kind: 'express+cors', flood: false },
  { kind: 'express+cors+prom-bundle', flood: true, metrics: true },
  { kind: 'express+hand-written CORS', flood: false },
  { kind: 'sentinel', flood: true, metrics: true },
  { kind: 'sentinel+resolver', flood: true, metrics: true },
  { kind: 'observer+cors', flood: true, metrics: true },
  { kind: 'node:http', flood: false },
  { kind: 'sentinel node:http', flood: false, metrics: true },
  { kind: 'nginx', flood: false },
  { kind: 'naive-origin-label', flood: true, metrics: true, floodOnly: true },
];
const WORKLOADS = [
  { id: 'get', label: 'allowed GET', script: 'get-allowed.lua' },
  { id: 'preflight', label: 'preflight', script: 'preflight.lua' },
  { id: 'rejected', label: 'rejected GET', script: 'get-rejected.lua' },
];
const ALLOWED_HEADERS = { Origin: P.ALLOWED_ORIGIN, 'X-Tenant-Id': P.TENANT };

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function machine(plan) {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const version = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
  };
  return {
    cpu, cpus: plan.cpus, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release(),
    wrk: version('wrk', ['-v']), nginx: version(NGINX, ['-v']),
    pinning: plan.pin ? `server on CPU ${plan.server}, wrk on CPU ${plan.client} (taskset)` : 'none (taskset or a second CPU missing)',
  };
}

/** Checks that each server answers the policy before timing it (a fast wrong server proves nothing). */
async function sanityCheck(server) {
  const cors = server.kind !== 'express';
  const allowed = await get(server.port, '/api/items', ALLOWED_HEADERS);
  const pre = await get(server.port, '/api/items', { ...ALLOWED_HEADERS, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, authorization' }, 'OPTIONS');
  const rejected = await get(server.port, '/api/items', { Origin: P.REJECTED_ORIGIN, 'X-Tenant-Id': P.TENANT });
  const problems = [];
  if (allowed.status !== 200) problems.push(`allowed GET answered ${allowed.status}`);
  if (rejected.status !== 200) problems.push(`rejected GET answered ${rejected.status}`);
  if (cors) {
    if (allowed.headers['access-control-allow-origin'] !== P.ALLOWED_ORIGIN) problems.push('allowed GET without ACAO');
    if (pre.status !== 204 || pre.headers['access-control-allow-origin'] !== P.ALLOWED_ORIGIN) problems.push(`preflight answered ${pre.status}`);
    if (rejected.headers['access-control-allow-origin'] !== undefined) problems.push('rejected GET got ACAO');
  }
  if (problems.length > 0) throw new Error(`${server.kind}: ${problems.join('; ')}`);
}

/**
 * Per repetition and workload: reference, three servers, reference, three servers, … reference. Each
 * server's run is compared with the mean of the reference runs right before and after its group, so
 * that the machine's drift (large on these shared VMs) cancels out of every ratio.
 */
const GROUP = 3;

async function throughputPhase(servers, plan) {
  const reference = servers.find((s) => s.kind === REFERENCE_KIND);
  if (!reference) throw new Error(`the reference server (${REFERENCE_KIND}) must be part of the run`);
  const others = servers.filter((s) => s !== reference);
  const samples = {}; // samples[workload][kind] = [{rep, rps, refRps, ...}]
  for (const w of WORKLOADS) samples[w.id] = Object.fromEntries(servers.map((s) => [s.kind, []]));
  const measure = async (s, w) => {
    if (CONFIG.warmup > 0) await wrk(plan, { port: s.port, script: w.script, seconds: CONFIG.warmup, connections: CONFIG.connections });
    return wrk(plan, { port: s.port, script: w.script, seconds: CONFIG.seconds, connections: CONFIG.connections });
  };
  for (let rep = 0; rep < CONFIG.reps; rep++) {
    for (const w of WORKLOADS) {
      // Rotate the order so that no server always runs right after the same neighbour.
      const order = others.map((_, i) => others[(i + rep) % others.length]);
      let before = await measure(reference, w);
      const refs = [before.rps];
      for (let i = 0; i < order.length; i += GROUP) {
        const group = order.slice(i, i + GROUP);
        const runs = [];
        for (const s of group) runs.push(await measure(s, w));
        const after = await measure(reference, w);
        refs.push(after.rps);
        const refRps = (before.rps + after.rps) / 2;
        group.forEach((s, j) => samples[w.id][s.kind].push(sample(rep, runs[j], refRps)));
        before = after;
      }
      const refMedian = median(refs);
      samples[w.id][reference.kind].push(sample(rep, { ...before, rps: refMedian }, refMedian));
      log(`rep ${rep + 1}/${CONFIG.reps} ${w.label}: express ${Math.round(refMedian)}; ${order.map((s) => `${s.kind} ${(samples[w.id][s.kind][rep].rps / samples[w.id][s.kind][rep].refRps).toFixed(2)}×`).join(', ')}`);
    }
  }
  return samples;
}

function sample(rep, r, refRps) {
  return { rep, rps: r.rps, refRps, p50Us: r.p50Us, p99Us: r.p99Us, status: r.status, errors: r.errors };
}

/** Scrapes /metrics `times` times, 250 ms apart (Prometheus scrapes every 15 s, never back to back). */
async function scrape(port, times) {
  const runs = [];
  for (let i = 0; i < times; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250));
    runs.push(await get(port, '/metrics'));
  }
  const ms = runs.map((r) => r.ms);
  return { bytes: runs[runs.length - 1].bytes, ms: median(ms), maxMs: Math.max(...ms), status: runs[0].status };
}

/** Allowed-origin run (the RSS baseline), then new random origins until enough distinct ones were sent. */
async function floodPhase(server, plan) {
  const pid = server.rssPid();
  await wrk(plan, { port: server.port, script: 'get-allowed.lua', seconds: CONFIG.warmup, connections: CONFIG.connections });
  await wrk(plan, { port: server.port, script: 'get-allowed.lua', seconds: CONFIG.baselineSeconds, connections: CONFIG.connections });
  const rssAllowed = rss(pid);
  const before = server.metrics ? await scrape(server.port, 3) : undefined;
  const gcAllowed = await memoryAfterGc(server);
  let origins = 0;
  let seconds = 0;
  let peak = rssAllowed;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid));
    } catch {}
  }, 250);
  for (let chunk = 0; origins < CONFIG.floodOrigins && chunk < 40; chunk++) {
    const r = await wrk(plan, { port: server.port, script: 'flood.lua', seconds: CONFIG.floodChunkSeconds, connections: CONFIG.connections, scriptArgs: [String(chunk)] });
    origins += r.requests; // every request carried an origin never sent before
    seconds += r.durationUs / 1e6;
  }
  clearInterval(sampler);
  const rssFlood = rss(pid);
  const after = server.metrics ? await scrape(server.port, 7) : undefined;
  const gcFlood = await memoryAfterGc(server);
  return {
    kind: server.kind, origins, floodRps: origins / seconds, rssAllowed, rssFlood, rssPeak: Math.max(peak, rssFlood),
    growth: rssFlood - rssAllowed, metricsBefore: before?.bytes, metricsBytes: after?.bytes, scrapeMs: after?.ms, scrapeMaxMs: after?.maxMs,
    // Both points again right after a full GC: what the process holds, without garbage not yet collected.
    growthAfterGc: gcFlood && gcAllowed ? gcFlood.rss - gcAllowed.rss : undefined,
    heapRetained: gcFlood && gcAllowed ? gcFlood.heapUsed - gcAllowed.heapUsed : undefined,
  };
}

function runMicro(plan) {
  const args = [path.join(__dirname, 'micro.js'), '--json', ...(quick ? ['--rounds', '3', '--iterations', '200000'] : [])];
  const cmd = plan.pin ? ['taskset', ['-c', plan.server, process.execPath, ...args]] : [process.execPath, args];
  const out = execFileSync(cmd[0], cmd[1], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  for (const cmd of ['wrk']) if (!have(cmd)) throw new Error(`${cmd} is not installed (apt-get install -y wrk nginx-light)`);
  if (!fs.existsSync(path.join(__dirname, '..', 'packages', 'cors-sentinel', 'dist', 'cjs', 'index.js'))) throw new Error('dist/cjs is missing: run npm run build');
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const wanted = SERVERS.filter((s) => (only ? only.includes(s.kind) : true) && (s.kind !== 'nginx' || fs.existsSync(NGINX)));
  if (!wanted.some((s) => s.kind === 'nginx') && !only) log(`nginx not found at ${NGINX}: the edge-layer row is skipped`);
  const plan = cpuPlan();
  const started = Date.now();
  const load = { start: os.loadavg() };
  const info = machine(plan);
  log(`${info.cpu}, ${info.cpus} CPUs, Node ${info.node}; ${info.pinning}; load ${load.start.map((l) => l.toFixed(2)).join(' ')}`);

  log('microbenchmark: decide() + record()');
  const micro = process.env.BENCH_MICRO === '0' ? [] : runMicro(plan);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-bench-'));
  const servers = [];
  try {
    let port = num('BENCH_PORT', 18100);
    for (const spec of wanted) {
      const server = await startServer(spec.kind, port++, plan, tmp);
      Object.assign(server, spec);
      servers.push(server);
      await sanityCheck(server);
    }
    log(`servers up and answering the policy: ${servers.map((s) => s.kind).join(', ')}`);
    const timed = servers.filter((s) => !s.floodOnly);
    const samples = await throughputPhase(timed, plan);
    const floods = [];
    for (const s of servers.filter((x) => x.flood && process.env.BENCH_FLOOD !== '0')) {
      log(`origin flood: ${s.kind}`);
      const f = await floodPhase(s, plan);
      floods.push(f);
      log(`  ${f.origins} origins at ${Math.round(f.floodRps)} rps; RSS +${(f.growth / 2 ** 20).toFixed(1)} MB (after GC ${((f.growthAfterGc ?? NaN) / 2 ** 20).toFixed(1)} MB); heap retained ${((f.heapRetained ?? NaN) / 2 ** 20).toFixed(1)} MB; /metrics ${f.metricsBytes ?? '-'} B in ${f.scrapeMs?.toFixed(2) ?? '-'} ms`);
      // The flood leaves a server's metrics and caches in a state no later run should inherit.
      await stopServer(s);
    }
    load.end = os.loadavg();
    const result = { date: new Date().toISOString(), config: CONFIG, machine: info, load, minutes: (Date.now() - started) / 60000, micro, samples, floods, workloads: WORKLOADS };
    result.targets = evaluateTargets(result);
    const report = renderReport(result);
    process.stdout.write(`\n${report}\n`);
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const stamp = result.date.replace(/[:.]/g, '-');
    fs.writeFileSync(path.join(dir, `bench-${stamp}.json`), JSON.stringify(result, null, 2));
    fs.writeFileSync(path.join(dir, `bench-${stamp}.md`), report);
    fs.writeFileSync(path.join(dir, 'latest.md'), report);
    log(`wrote bench/results/bench-${stamp}.{md,json} and bench/results/latest.md (${result.minutes.toFixed(1)} min)`);
  } finally {
    await Promise.all(servers.map(stopServer));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
