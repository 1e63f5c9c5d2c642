'use strict';
/**
 * Server CPU per request beside throughput, for the fast servers whose throughput is bound by the
 * load generator: `npm run bench:cpu` (or `node bench/cpu.js [kind …]`). Each server runs pinned to
 * CPU 0, wrk to CPU 1; per round and workload every server is measured once (order rotated), reading
 * the server's own `process.cpuUsage()` (control port `/cpu`) before and after the wrk run. The report
 * gives medians, and each cors-sentinel row's overhead over its bare framework as the median of the
 * same-round differences (µs of server CPU per request) and throughput ratios.
 * Knobs: BENCH_ROUNDS (5), BENCH_SECONDS (2), BENCH_CONNECTIONS (50); BENCH_NODE (a path or a major
 * version, `20`/`22`/`24`: the Node binary the servers run on, see bench/lib/procs.js); BENCH_PORT (the
 * first port, 19100: another benchmark on the machine needs another).
 * BENCH_PAIRED=1 with two kinds (`A B`): paired ABBA runs instead of rounds (bench/lib/paired.js), the
 * median of B − A over BENCH_PAIRS (40) pairs × BENCH_SECONDS (1) with a bootstrap 95 % interval;
 * BENCH_PAIRED_RESTART=N restarts both servers every N pairs.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cpuPlan, benchNodeVersion, startServer, stopServer, wrk, get } = require('./lib/procs');
const { runPaired, pairedReport } = require('./lib/paired');

const PAIRS = [
  ['node:http', 'sentinel node:http'],
  ['fastify', 'fastify+@fastify/cors'],
  ['fastify', 'fastify+@fastify/cors+fastify-metrics'],
  ['fastify', 'fastify+hand-written CORS'],
  ['fastify', 'sentinel fastify'],
  ['fastify+@fastify/cors', 'sentinel fastify'],
  ['fastify+hand-written CORS', 'sentinel fastify'],
  ['koa', 'koa+hand-written CORS'],
  ['koa', 'sentinel koa'],
  ['koa+hand-written CORS', 'sentinel koa'],
  ['express+hand-written CORS', 'sentinel'],
];
/** The default kinds: every pair but the Express one (Express has bench/run.js; name its kinds to add them). */
const DEFAULT_KINDS = [...new Set(PAIRS.slice(0, -1).flat())];
const WORKLOADS = [['allowed GET', 'get-allowed.lua'], ['preflight', 'preflight.lua']];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PAIRED = process.env.BENCH_PAIRED === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (PAIRED ? 1 : 2));
const PORT = Number(process.env.BENCH_PORT ?? 19100);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function cpuMicros(server) {
  const r = await get(server.port + 1000, '/cpu', {}, 'GET', true);
  return JSON.parse(r.body); // { user, system } µs
}

async function main() {
  const kinds = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT_KINDS;
  const plan = cpuPlan();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-bench-cpu-'));
  if (PAIRED) return paired(kinds, plan, tmp);
  const servers = [];
  let port = PORT;
  for (const kind of kinds) servers.push(await startServer(kind, (port += 10), plan, tmp));
  const samples = {}; // kind → workload → [{ rps, us, round }]
  const load = [os.loadavg().map((l) => l.toFixed(2)).join(' ')];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [workload, script] of WORKLOADS) {
        const order = servers.map((_, i) => servers[(i + round) % servers.length]);
        for (const server of order) {
          await wrk(plan, { port: server.port, script, seconds: 1, connections: CONNECTIONS }); // warm-up
          const before = await cpuMicros(server);
          const s = await wrk(plan, { port: server.port, script, seconds: SECONDS, connections: CONNECTIONS });
          const after = await cpuMicros(server);
          // User and system apart: callgrind (bench:instructions) sees user space only.
          const user = (after.user - before.user) / s.requests;
          const sys = (after.system - before.system) / s.requests;
          ((samples[server.kind] ??= {})[workload] ??= []).push({ rps: s.rps, us: user + sys, user, sys, round });
          process.stderr.write(`round ${round + 1}/${ROUNDS} ${workload} ${server.kind}: ${Math.round(s.rps)} rps, ${(user + sys).toFixed(2)} µs CPU/request (user ${user.toFixed(2)}, system ${sys.toFixed(2)})\n`);
        }
      }
    }
  } finally {
    await Promise.all(servers.map(stopServer));
  }
  load.push(os.loadavg().map((l) => l.toFixed(2)).join(' '));
  console.log(report(kinds, samples, load, plan));
}

async function paired(kinds, plan, tmp) {
  if (kinds.length !== 2) throw new Error('BENCH_PAIRED=1 compares two kinds: node bench/cpu.js BASE OTHER');
  const options = {
    pairs: Number(process.env.BENCH_PAIRS ?? 40), seconds: SECONDS, connections: CONNECTIONS,
    restartEvery: Number(process.env.BENCH_PAIRED_RESTART ?? 0), warmup: 2, tmp, port: PORT + 200,
  };
  const results = await runPaired(plan, kinds, WORKLOADS, options);
  console.log(pairedReport(kinds, results, options, plan, benchNodeVersion()));
}

function report(kinds, samples, load, plan) {
  const lines = [
    `Server CPU per request (process.cpuUsage() of the server, per wrk run), ${ROUNDS} rounds × ${SECONDS} s, wrk -t1 -c${CONNECTIONS}, ` +
      `${plan.pin ? 'server on CPU 0, wrk on CPU 1' : 'unpinned'}; load average ${load[0]} at start, ${load[1]} at end; Node ${benchNodeVersion()}.`,
    '',
    '| server | workload | rps (median) | µs CPU/request (median) | range | user / system µs (medians) |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const kind of kinds) {
    for (const [workload] of WORKLOADS) {
      const xs = samples[kind]?.[workload] ?? [];
      const us = xs.map((x) => x.us);
      const split = `${median(xs.map((x) => x.user)).toFixed(2)} / ${median(xs.map((x) => x.sys)).toFixed(2)}`;
      lines.push(`| ${kind} | ${workload} | ${Math.round(median(xs.map((x) => x.rps)))} | ${median(us).toFixed(2)} | ${Math.min(...us).toFixed(2)}–${Math.max(...us).toFixed(2)} | ${split} |`);
    }
  }
  lines.push('', 'Same-round comparisons (median over rounds of the per-round difference / ratio):', '');
  lines.push('| server | against | workload | extra µs CPU/request | of which user / system | throughput × | CPU efficiency × |', '|---|---|---|---:|---:|---:|---:|');
  for (const [base, other] of PAIRS) {
    if (!samples[base] || !samples[other]) continue;
    for (const [workload] of WORKLOADS) {
      const a = samples[base][workload];
      const b = samples[other][workload];
      const diffs = b.map((x) => x.us - (a.find((y) => y.round === x.round)?.us ?? NaN));
      const split = ['user', 'sys'].map((k) => median(b.map((x) => x[k] - (a.find((y) => y.round === x.round)?.[k] ?? NaN))).toFixed(2)).join(' / ');
      const ratios = b.map((x) => x.rps / (a.find((y) => y.round === x.round)?.rps ?? NaN));
      // Requests per CPU-second relative to the base: base µs/request ÷ this server's µs/request.
      const efficiency = b.map((x) => (a.find((y) => y.round === x.round)?.us ?? NaN) / x.us);
      lines.push(`| ${other} | ${base} | ${workload} | ${median(diffs).toFixed(2)} (${Math.min(...diffs).toFixed(2)}–${Math.max(...diffs).toFixed(2)}) | ${split} | ${median(ratios).toFixed(2)} | ${median(efficiency).toFixed(3)} |`);
    }
  }
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
