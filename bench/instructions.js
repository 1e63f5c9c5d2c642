'use strict';
/**
 * Server instructions per request, counted by valgrind's callgrind: a figure that, unlike CPU time, does
 * not move with what else the machine is doing (the same binary, inputs and environment give the same
 * count), so that a sub-microsecond difference between two servers can be read on a shared machine.
 *   npm run build && node bench/instructions.js [--requests 4000] [--windows 3] [--group node,fastify,koa,express]
 *     [--connections 4] [--workloads 'allowed GET,preflight'] [--young-gen 16] [--cache-sim] [kind …]
 * Groups (default: node, fastify, koa): `node` (node:http with the policy by hand, `sentinel node:http`), `fastify`
 * (bare, @fastify/cors, the policy by hand in one onRequest hook, the plugin), `koa` (bare, the policy
 * by hand as the first middleware, the middleware) and `express` (the policy by hand as an Express
 * middleware, the cors-sentinel middleware); PAIRS lists the comparisons reported.
 * `--connections`: how many requests the client keeps in flight, each on its own keep-alive connection
 * (default 4; 1 is strictly sequential; wrk in bench:cpu keeps 50). A list (`1,50`) measures each in every
 * window of the same server process, so the counts under both concurrencies come from one warm process.
 * BENCH_NODE (a path or `20`/`22`/`24`, bench/lib/procs.js) chooses the Node binary of the servers.
 * Each server (bench/server.js) runs under callgrind; after a warm-up of every workload, each measurement window
 * is: zero the counters (`callgrind_control -z`), send N keep-alive requests, dump (`callgrind_control
 * -d`), read the total. Per request = total / N, so the window also carries its share of GC and of any
 * late JIT work, as a real server's CPU time would. Callgrind counts user-space instructions only (the
 * kernel's socket work is not in them), so the report converts a difference into µs with the bare
 * server's *user* CPU per request, measured natively right after (same client, `process.cpuUsage()`
 * of the server): µs ≈ extra instructions × bare user µs / bare instructions. That assumes the same
 * instructions per cycle for both; the instruction counts themselves are the measurement.
 * Two things inflate the sentinel's counts a little: under valgrind a request takes ~50× longer, so
 * once-per-interval work (the violation log's summary line, label-guard windows) lands on fewer
 * requests per tick than in production.
 * Each window also counts the server's scavenges and full GCs (`--trace-gc` lines on its stdout): extra
 * garbage per request shows there, and the instructions of V8's GC threads are in the totals. And it
 * counts the calls into V8's inline-cache miss handlers (bench/lib/callgrind.js): property reads and
 * writes V8's caches could not answer, which Express's per-request hidden classes make common and
 * costly; their count per request is steady where the instruction totals move with GC. Kinds
 * outside the groups can be named, e.g. `'sentinel fastify, no recording'` (metrics and log off).
 * Needs valgrind (Debian package `valgrind`). Takes about 4 minutes per server on an idle machine.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const P = require('./policy');
const { benchNode, benchNodeVersion } = require('./lib/procs');
const { dumpEvents, hasCacheEvents, l1Misses, llMisses, cycleEstimate, icMissCalls } = require('./lib/callgrind');

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const REQUESTS = flag('--requests', 4000);
const WINDOWS = flag('--windows', 3);
const WARMUP = flag('--warmup', 20000);
const listFlag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1].split(',').map((x) => x.trim()) : fallback);
const CONNECTIONS = listFlag('--connections', ['4']).map(Number);
/** Flags without a value; every other `--flag` takes the argument after it. */
const SWITCHES = ['--cache-sim'];
const KINDS = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && !SWITCHES.includes(args[i - 1])));
const GROUPS = {
  node: ['node:http', 'sentinel node:http'],
  fastify: ['fastify', 'fastify+@fastify/cors', 'fastify+hand-written CORS', 'sentinel fastify'],
  koa: ['koa', 'koa+hand-written CORS', 'sentinel koa'],
  express: ['express+hand-written CORS', 'sentinel'],
};
/** The groups run without `--group`: Express is measured when asked for (its CPU target is a ratio, issue #32). */
const DEFAULT_GROUPS = ['node', 'fastify', 'koa'];
/** [base, other]: `other`'s extra instructions over `base`, reported when both were measured. */
const PAIRS = [
  ['node:http', 'sentinel node:http'],
  ['fastify', 'fastify+@fastify/cors'],
  ['fastify', 'fastify+hand-written CORS'],
  ['fastify+@fastify/cors', 'sentinel fastify'],
  ['fastify+hand-written CORS', 'sentinel fastify'],
  ['koa', 'koa+hand-written CORS'],
  ['koa+hand-written CORS', 'sentinel koa'],
  ['express+hand-written CORS', 'sentinel'],
];
const groupArg = listFlag('--group', DEFAULT_GROUPS);
const kinds = KINDS.length > 0 ? KINDS : groupArg.flatMap((g) => GROUPS[g] ?? []);
const NODE = benchNode();
/**
 * Extra flags for the servers, e.g. `--single-threaded`: callgrind runs one thread at a time, so V8's
 * background compiler lags by thousands of requests and its work lands in the measured windows;
 * single-threaded, tier-up happens at the request count it would natively.
 */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * `--young-gen MB` (default 16; 0 leaves V8's own sizing): every server gets the same fixed new space and
 * no memory reducer. Left to V8, the new space of two servers grew to different sizes (1 to 8 MB) and
 * the memory reducer ran full GCs at times of its own, so that windows of one server differed by up to
 * 30,000 instructions per request; fixed, preflight windows agree within a few hundred. Allocation
 * still shows: more garbage per request is more scavenges per window.
 */
const YOUNG_GEN_MB = flag('--young-gen', 16);
const GC_FLAGS = YOUNG_GEN_MB > 0 ? [`--min-semi-space-size=${YOUNG_GEN_MB}`, `--max-semi-space-size=${YOUNG_GEN_MB}`, '--no-memory-reducer'] : [];
/**
 * `--cache-sim`: callgrind also simulates the caches (`--cache-sim=yes`; about twice as slow), and the
 * report adds each server's first- and last-level misses and KCachegrind's cycle estimate per request
 * (bench/lib/callgrind.js): the footprint that instructions alone do not show. BENCH_CALLGRIND_FLAGS:
 * further callgrind flags (e.g. `--branch-sim=yes`, whose mispredictions the estimate then counts).
 */
const CALLGRIND_FLAGS = [
  ...(args.includes('--cache-sim') ? ['--cache-sim=yes'] : []),
  ...(process.env.BENCH_CALLGRIND_FLAGS ?? '').split(' ').filter(Boolean),
];

const ROUTE = '/api/items';
const ALL_WORKLOADS = {
  'allowed GET': { method: 'GET', headers: { origin: P.ALLOWED_ORIGIN, 'x-tenant-id': P.TENANT } },
  preflight: {
    method: 'OPTIONS',
    headers: { origin: P.ALLOWED_ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization', 'x-tenant-id': P.TENANT },
  },
  'rejected GET': { method: 'GET', headers: { origin: P.REJECTED_ORIGIN, 'x-tenant-id': P.TENANT } },
};
const WORKLOAD_NAMES = listFlag('--workloads', Object.keys(ALL_WORKLOADS));
/**
 * What each window measures: every workload at every concurrency (`name` carries the concurrency
 * when more than one is measured, e.g. `preflight ×50`).
 */
const CASES = WORKLOAD_NAMES.flatMap((w) => {
  if (!ALL_WORKLOADS[w]) throw new Error(`unknown workload ${w}: one of ${Object.keys(ALL_WORKLOADS).join(', ')}`);
  return CONNECTIONS.map((c) => ({ name: CONNECTIONS.length > 1 ? `${w} ×${c}` : w, workload: ALL_WORKLOADS[w], connections: c }));
});

/**
 * One keep-alive pool per server and concurrency, kept for the server's life: a window opens no
 * connection (50 fresh connections per window would put a connection's setup on every 80th request).
 */
const agents = new Map();
function agentFor(port, connections) {
  const key = `${port}/${connections}`;
  if (!agents.has(key)) agents.set(key, new http.Agent({ keepAlive: true, maxSockets: connections }));
  return agents.get(key);
}
function closeAgents(port) {
  for (const [key, agent] of agents) if (key.startsWith(`${port}/`)) (agent.destroy(), agents.delete(key));
}

/**
 * Sends `n` requests with `connections` of them in flight at any time, each lane on its own keep-alive
 * connection (as wrk's connections are), and waits for every answer.
 */
async function send(port, workload, n, connections = 4) {
  const agent = agentFor(port, connections);
  let next = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: ROUTE, agent, ...workload }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  const lane = async () => {
    while (next++ < n) await one();
  };
  await Promise.all(Array.from({ length: connections }, lane));
}

function callgrindControl(flagName, pid) {
  execFileSync('callgrind_control', [flagName, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/**
 * The newest dump file of that process, read: its event totals ({ Ir, … }) and its calls into V8's
 * inline-cache miss handlers (bench/lib/callgrind.js). The dump is then removed.
 */
function lastDump(dir, pid) {
  const dumps = fs.readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}`)).map((f) => path.join(dir, f));
  const newest = dumps.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const text = fs.readFileSync(newest, 'utf8');
  const dump = { events: dumpEvents(text), icMisses: icMissCalls(text) };
  // BENCH_KEEP_DUMPS=<dir>: the window's dump is kept there for callgrind_annotate (e.g. V8's compiler and GC threads).
  if (process.env.BENCH_KEEP_DUMPS) fs.copyFileSync(newest, path.join(process.env.BENCH_KEEP_DUMPS, `${path.basename(newest)}.${Date.now()}`));
  fs.unlinkSync(newest);
  return dump;
}

/** The instructions of the newest dump of that process. */
const lastDumpTotal = (dir, pid) => lastDump(dir, pid).events.Ir;

async function startServer(kind, port, dir, underCallgrind) {
  // --trace-gc under callgrind: the window's scavenges and full GCs are counted from its stdout lines.
  const server = [NODE, ...GC_FLAGS, ...NODE_FLAGS, ...(underCallgrind ? ['--trace-gc'] : []), path.join(__dirname, 'server.js'), kind, String(port)];
  const [cmd, ...args] = underCallgrind
    ? ['valgrind', '--tool=callgrind', `--callgrind-out-file=${dir}/cg.%p`, '--dump-instr=no', '--collect-jumps=no', ...CALLGRIND_FLAGS, ...server]
    : server;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', fs.openSync(path.join(dir, `${kind.replace(/\W+/g, '_')}.log`), 'a')],
    env: { BENCH_KEEP_ALIVE_MS: String(3_600_000), ...process.env, NODE_ENV: 'production' },
  });
  child.gc = { scavenges: 0, full: 0 };
  child.stdout.on('data', (d) => {
    const text = String(d);
    child.gc.scavenges += text.split(': Scavenge').length - 1;
    child.gc.full += text.split(': Mark-Compact').length - 1 + text.split(': Mark-Sweep').length - 1;
  });
  await new Promise((resolve, reject) => {
    // Valgrind starts Node slowly, and far more slowly on a loaded machine; a server that never starts is not left behind.
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${kind} did not start in 10 min`))), 600_000);
    child.stdout.on('data', (d) => String(d).includes('ready') && (clearTimeout(timer), resolve()));
    child.on('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return child;
}

async function measure(kind, port, dir) {
  const child = await startServer(kind, port, dir, true);
  const perRequest = {};
  const footprint = {}; // with --cache-sim: per window, misses and the cycle estimate per request
  const gc = {};
  const icMisses = {};
  try {
    for (const c of CASES) await send(port, c.workload, Math.ceil(WARMUP / CONNECTIONS.length), c.connections);
    for (let w = 0; w < WINDOWS; w++) {
      for (const { name, workload, connections } of CASES) {
        callgrindControl('-z', child.pid);
        const before = { ...child.gc };
        await send(port, workload, REQUESTS, connections);
        callgrindControl('-d', child.pid);
        const dump = lastDump(dir, child.pid);
        const events = dump.events;
        (perRequest[name] ??= []).push(events.Ir / REQUESTS);
        (icMisses[name] ??= []).push(dump.icMisses / REQUESTS);
        if (hasCacheEvents(events)) {
          (footprint[name] ??= []).push({ l1: l1Misses(events) / REQUESTS, ll: llMisses(events) / REQUESTS, cycles: cycleEstimate(events) / REQUESTS });
        }
        (gc[name] ??= []).push({ scavenges: child.gc.scavenges - before.scavenges, full: child.gc.full - before.full });
        const g = gc[name].at(-1);
        const f = footprint[name]?.at(-1);
        const misses = f ? `, ${f.l1.toFixed(0)} L1 / ${f.ll.toFixed(0)} LL misses, cycle estimate ${f.cycles.toFixed(0)}` : '';
        const ic = icMisses[name].at(-1).toFixed(1);
        process.stderr.write(`${kind} ${name} window ${w + 1}: ${perRequest[name].at(-1).toFixed(0)} instructions/request, ${ic} IC misses${misses}, ${g.scavenges} scavenges, ${g.full} full GCs\n`);
      }
    }
  } finally {
    closeAgents(port);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return { perRequest, footprint, gc, icMisses };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The server's own user CPU (µs) per request, natively: the scale from instructions to time. */
async function userMicrosPerRequest(kind, port, dir) {
  const child = await startServer(kind, port, dir, false);
  const cpu = () => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: port + 1000, path: '/cpu' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body).user));
    }).on('error', reject);
  });
  const out = {};
  try {
    for (const { name, workload, connections } of CASES) {
      await send(port, workload, 20_000, connections);
      const runs = [];
      for (let r = 0; r < 5; r++) {
        const before = await cpu();
        await send(port, workload, 20_000, connections);
        runs.push(((await cpu()) - before) / 20_000);
      }
      out[name] = median(runs);
    }
  } finally {
    closeAgents(port);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return out;
}

/** The first kind of each group measured (its bare framework), or the first kind: the scale to µs. */
function scaleKinds() {
  const bases = Object.values(GROUPS).map((g) => g[0]).filter((k) => kinds.includes(k));
  return bases.length > 0 ? bases : [kinds[0]];
}

/** The bare server of `kind`'s group: its instructions and native user µs convert a difference into µs. */
function scaleOf(kind, results, users) {
  const base = Object.values(GROUPS).find((g) => g.includes(kind) && users[g[0]] !== undefined)?.[0] ?? Object.keys(users)[0];
  return (name) => users[base][name] / median(results[base][name]);
}

/**
 * With --cache-sim: each server's misses and cycle estimate per request (medians over the windows), and
 * each pair's efficiency by that estimate (the base's estimate over the other's: 0.98× is 2 % more).
 */
function footprintReport(footprints, pairs) {
  const measured = Object.keys(footprints).filter((k) => Object.keys(footprints[k]).length > 0);
  if (measured.length === 0) return [];
  const med = (kind, name, key) => median(footprints[kind][name].map((f) => f[key]));
  const lines = ['', 'Cache simulation (callgrind --cache-sim=yes): misses and KCachegrind\'s cycle estimate (Ir + 10 × (L1 misses + mispredicted branches, with --branch-sim=yes) + 100 × LL misses) per request, medians.', '',
    '| server | workload | L1 misses (I + D) | LL misses | cycle estimate | range |', '|---|---|---:|---:|---:|---:|'];
  for (const kind of measured) {
    for (const { name } of CASES) {
      const cycles = footprints[kind][name].map((f) => f.cycles);
      lines.push(`| ${kind} | ${name} | ${med(kind, name, 'l1').toFixed(0)} | ${med(kind, name, 'll').toFixed(0)} | ${med(kind, name, 'cycles').toFixed(0)} | ${Math.min(...cycles).toFixed(0)}–${Math.max(...cycles).toFixed(0)} |`);
    }
  }
  const both = pairs.filter(([a, b]) => measured.includes(a) && measured.includes(b));
  if (both.length > 0) lines.push('', '| server | over | workload | extra L1 misses | extra cycle estimate | efficiency by the estimate |', '|---|---|---|---:|---:|---:|');
  for (const [base, other] of both) {
    for (const { name } of CASES) {
      const extraL1 = med(other, name, 'l1') - med(base, name, 'l1');
      const [b, o] = [med(base, name, 'cycles'), med(other, name, 'cycles')];
      lines.push(`| ${other} | ${base} | ${name} | ${extraL1.toFixed(0)} | ${(o - b).toFixed(0)} | ${(b / o).toFixed(3)}× |`);
    }
  }
  return lines;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-bench-instructions-'));
  const results = {};
  const gcs = {};
  let port = flag('--port', 19400);
  const footprints = {};
  const ics = {};
  for (const kind of kinds) ({ perRequest: results[kind], footprint: footprints[kind], gc: gcs[kind], icMisses: ics[kind] } = await measure(kind, (port += 10), dir));
  const users = {};
  for (const kind of scaleKinds()) users[kind] = await userMicrosPerRequest(kind, (port += 10), dir);
  const lines = [
    `Server instructions per request (callgrind, ${WINDOWS} windows × ${REQUESTS} keep-alive requests after ${WARMUP} per workload, ` +
      `${CONNECTIONS.join(' / ')} in flight; Node ${benchNodeVersion(NODE)}${[...GC_FLAGS, ...NODE_FLAGS].length ? ` ${[...GC_FLAGS, ...NODE_FLAGS].join(' ')}` : ''}); median, range.`,
    '',
    '| server | workload | instructions/request | range | IC misses/request | scavenges / full GCs per 10,000 requests |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const kind of kinds) {
    for (const { name } of CASES) {
      const xs = results[kind][name];
      const native = users[kind] ? ` (${users[kind][name].toFixed(2)} µs user CPU measured natively)` : '';
      const g = gcs[kind][name];
      const per10k = (k) => ((g.reduce((a, x) => a + x[k], 0) / g.length) * 10_000 / REQUESTS).toFixed(1);
      const ic = median(ics[kind][name]).toFixed(1);
      lines.push(`| ${kind} | ${name} | ${median(xs).toFixed(0)}${native} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${ic} | ${per10k('scavenges')} / ${per10k('full')} |`);
    }
  }
  const pairs = PAIRS.filter(([a, b]) => results[a] && results[b]);
  if (pairs.length === 0 && kinds.length > 1) pairs.push(...kinds.slice(1).map((k) => [kinds[0], k]));
  // The lowest window beside the median: a late tier-up or a full GC inflates one window of one server
  // by thousands of instructions per request, and with three windows the median can be that window.
  lines.push('', '| server | over | workload | extra instructions/request (medians) | ≈ µs user CPU | extra, lowest windows |', '|---|---|---|---:|---:|---:|');
  for (const [base, other] of pairs) {
    // µs from the group's bare server: its user CPU per request over its instructions (same IPC assumed).
    const scale = scaleOf(base, results, users);
    for (const { name } of CASES) {
      const extra = median(results[other][name]) - median(results[base][name]);
      const low = Math.min(...results[other][name]) - Math.min(...results[base][name]);
      lines.push(`| ${other} | ${base} | ${name} | ${extra.toFixed(0)} | ${(extra * scale(name)).toFixed(2)} | ${low.toFixed(0)} |`);
    }
  }
  lines.push(...footprintReport(footprints, pairs));
  console.log(lines.join('\n'));
  fs.rmSync(dir, { recursive: true, force: true });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { callgrindControl, lastDumpTotal };
