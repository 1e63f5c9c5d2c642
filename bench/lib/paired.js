'use strict';
/**
 * Paired wall-clock rounds for two servers (bench/cpu.js with BENCH_PAIRED=1): many short runs, tightly
 * alternated in ABBA order (A B, B A, A B, …), so that a slow drift of the machine's speed — on the
 * development VM whole rounds shift by up to 2× over tens of seconds — falls on both members of a pair
 * alike. Each pair gives one difference (B − A, µs of server CPU per request); the report is the median
 * difference with a bootstrap 95 % interval of that median. BENCH_PAIRED_RESTART=N starts both servers
 * afresh every N pairs, so that a per-process effect (code and heap layout, a JIT decision made in
 * warm-up) shows as a spread between process generations instead of passing for a stable difference.
 */
const os = require('node:os');
const { startServer, stopServer, wrk, get } = require('./procs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A small seeded generator (mulberry32): the same data give the same interval. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile bootstrap 95 % interval of the median of `xs` (resampling the pairs). */
function bootstrapMedian(xs, resamples = 4000, seed = 32) {
  const next = random(seed);
  const medians = [];
  for (let r = 0; r < resamples; r++) medians.push(median(Array.from(xs, () => xs[Math.floor(next() * xs.length)])));
  medians.sort((a, b) => a - b);
  return [medians[Math.floor(resamples * 0.025)], medians[Math.floor(resamples * 0.975)]];
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function cpuMicros(server) {
  const r = await get(server.port + 1000, '/cpu', {}, 'GET', true);
  return JSON.parse(r.body); // { user, system } µs
}

/** One timed wrk run: µs of the server's CPU per request, user and system apart. */
async function timed(plan, server, script, seconds, connections) {
  const before = await cpuMicros(server);
  const s = await wrk(plan, { port: server.port, script, seconds, connections });
  const after = await cpuMicros(server);
  const user = (after.user - before.user) / s.requests;
  const sys = (after.system - before.system) / s.requests;
  return { us: user + sys, user, sys, rps: s.rps };
}

/**
 * Runs `pairs` ABBA pairs of `kinds` ([A, B]) per workload. Returns, per workload, the pairs
 * ({ a, b } samples) and the load averages around it.
 */
async function runPaired(plan, kinds, workloads, { pairs, seconds, connections, restartEvery, warmup, tmp, port }) {
  const out = {};
  for (const [workload, script] of workloads) {
    const rec = (out[workload] = { pairs: [], load: [load()], generations: 0 });
    let servers;
    for (let i = 0; i < pairs; i++) {
      if (servers === undefined || (restartEvery > 0 && i > 0 && i % restartEvery === 0)) {
        if (servers) await Promise.all(servers.map(stopServer));
        servers = [];
        for (const kind of kinds) servers.push(await startServer(kind, (port += 10), plan, tmp));
        // Both warmed before the first pair of each process generation, in the same order.
        for (const server of servers) await wrk(plan, { port: server.port, script, seconds: warmup, connections });
        rec.generations++;
      }
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      const got = [];
      for (const j of order) got[j] = await timed(plan, servers[j], script, seconds, connections);
      rec.pairs.push({ a: got[0], b: got[1], generation: rec.generations });
      const d = got[1].us - got[0].us;
      process.stderr.write(`${workload} pair ${i + 1}/${pairs} (${order[0] === 0 ? 'AB' : 'BA'}): ${got[0].us.toFixed(2)} / ${got[1].us.toFixed(2)} µs, B − A ${d.toFixed(2)}\n`);
    }
    await Promise.all(servers.map(stopServer));
    rec.load.push(load());
  }
  return out;
}

/** The report: per workload, both servers' medians, the median pair difference and its interval, the noise. */
function pairedReport(kinds, results, { pairs, seconds, connections, restartEvery }, plan, nodeVersion) {
  const lines = [
    `Paired server CPU per request: ${kinds[1]} (B) − ${kinds[0]} (A), ${pairs} ABBA pairs × ${seconds} s per server, wrk -t1 -c${connections}, ` +
      `${plan.pin ? 'server on CPU 0, wrk on CPU 1' : 'unpinned'}, ${restartEvery > 0 ? `servers restarted every ${restartEvery} pairs` : 'one process per server'}; Node ${nodeVersion}.`,
    '',
    '| workload | A µs/request (median, range) | B µs/request | B − A: median of pairs | bootstrap 95 % | user / system of B − A | pairs with B > A | noise: median |A_i − A_i−1| | load average (start → end) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const [workload, rec] of Object.entries(results)) {
    const a = rec.pairs.map((p) => p.a.us);
    const b = rec.pairs.map((p) => p.b.us);
    const d = rec.pairs.map((p) => p.b.us - p.a.us);
    const [lo, hi] = bootstrapMedian(d);
    const split = ['user', 'sys'].map((k) => median(rec.pairs.map((p) => p.b[k] - p.a[k])).toFixed(2)).join(' / ');
    const steps = a.slice(1).map((x, i) => Math.abs(x - a[i]));
    const range = (xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
    lines.push(`| ${workload} | ${range(a)} | ${range(b)} | **${median(d).toFixed(2)}** | ${lo.toFixed(2)} to ${hi.toFixed(2)} | ${split} | ${d.filter((x) => x > 0).length}/${d.length} | ${median(steps).toFixed(2)} | ${rec.load.join(' → ')} |`);
    if (rec.generations > 1) {
      const byGen = [...new Set(rec.pairs.map((p) => p.generation))].map((g) => median(rec.pairs.filter((p) => p.generation === g).map((p) => p.b.us - p.a.us)).toFixed(2));
      lines.push(`| ${workload}: median B − A per process generation | | | ${byGen.join(', ')} | | | | | |`);
    }
  }
  return lines.join('\n');
}

module.exports = { runPaired, pairedReport, bootstrapMedian, median };
