'use strict';
/**
 * Server instructions per request, counted by valgrind's callgrind: a figure that, unlike CPU time, does
 * not move with what else the machine is doing (the same binary, inputs and environment give the same
 * count), so that a sub-microsecond difference between two servers can be read on a shared machine.
 *   npm run build && node bench/instructions.js [--requests 4000] [--windows 3] [kind …]
 * Each server (bench/server.js, default: `node:http` with the policy written by hand, and
 * `sentinel node:http`) runs under callgrind; after a warm-up of every workload, each measurement window
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
 * Needs valgrind (Debian package `valgrind`). Takes about 4 minutes per server.
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const P = require('./policy');

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const REQUESTS = flag('--requests', 4000);
const WINDOWS = flag('--windows', 3);
const WARMUP = flag('--warmup', 6000);
const KINDS = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const kinds = KINDS.length > 0 ? KINDS : ['node:http', 'sentinel node:http'];

const ROUTE = '/api/items';
const WORKLOADS = {
  'allowed GET': { method: 'GET', headers: { origin: P.ALLOWED_ORIGIN, 'x-tenant-id': P.TENANT } },
  preflight: {
    method: 'OPTIONS',
    headers: { origin: P.ALLOWED_ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization', 'x-tenant-id': P.TENANT },
  },
  'rejected GET': { method: 'GET', headers: { origin: P.REJECTED_ORIGIN, 'x-tenant-id': P.TENANT } },
};

/** Sends `n` requests over 4 keep-alive connections and waits for every answer. */
async function send(port, workload, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
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
  await Promise.all([lane(), lane(), lane(), lane()]);
  agent.destroy();
}

function callgrindControl(flagName, pid) {
  execFileSync('callgrind_control', [flagName, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

/** The `totals:` (or `summary:`) line of the newest dump file of that process. */
function lastDumpTotal(dir, pid) {
  const dumps = fs.readdirSync(dir).filter((f) => f.startsWith(`cg.${pid}`)).map((f) => path.join(dir, f));
  const newest = dumps.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  const text = fs.readFileSync(newest, 'utf8');
  const m = /^(?:totals|summary): (\d+)/m.exec(text);
  if (!m) throw new Error(`no totals in ${newest}`);
  fs.unlinkSync(newest);
  return Number(m[1]);
}

async function startServer(kind, port, dir, underCallgrind) {
  const server = [process.execPath, path.join(__dirname, 'server.js'), kind, String(port)];
  const [cmd, ...args] = underCallgrind
    ? ['valgrind', '--tool=callgrind', `--callgrind-out-file=${dir}/cg.%p`, '--dump-instr=no', '--collect-jumps=no', ...server]
    : server;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', fs.openSync(path.join(dir, `${kind.replace(/\W+/g, '_')}.log`), 'a')],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start in 120 s`)), 120_000);
    child.stdout.on('data', (d) => String(d).includes('ready') && (clearTimeout(timer), resolve()));
    child.on('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return child;
}

async function measure(kind, port, dir) {
  const child = await startServer(kind, port, dir, true);
  const perRequest = {};
  try {
    for (const workload of Object.values(WORKLOADS)) await send(port, workload, WARMUP);
    for (let w = 0; w < WINDOWS; w++) {
      for (const [name, workload] of Object.entries(WORKLOADS)) {
        callgrindControl('-z', child.pid);
        await send(port, workload, REQUESTS);
        callgrindControl('-d', child.pid);
        (perRequest[name] ??= []).push(lastDumpTotal(dir, child.pid) / REQUESTS);
        process.stderr.write(`${kind} ${name} window ${w + 1}: ${perRequest[name].at(-1).toFixed(0)} instructions/request\n`);
      }
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return perRequest;
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
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      await send(port, workload, 20_000);
      const runs = [];
      for (let r = 0; r < 5; r++) {
        const before = await cpu();
        await send(port, workload, 20_000);
        runs.push(((await cpu()) - before) / 20_000);
      }
      out[name] = median(runs);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return out;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-bench-instructions-'));
  const results = {};
  let port = 19400;
  for (const kind of kinds) results[kind] = await measure(kind, (port += 10), dir);
  const [bare, ...others] = kinds;
  const bareUser = await userMicrosPerRequest(bare, (port += 10), dir);
  const lines = [
    `Server instructions per request (callgrind, ${WINDOWS} windows × ${REQUESTS} keep-alive requests after ${WARMUP} per workload; Node ${process.version}); median, range.`,
    '',
    `| server | workload | instructions/request | range | over ${bare} | ≈ µs user CPU |`,
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const kind of kinds) {
    for (const name of Object.keys(WORKLOADS)) {
      const xs = results[kind][name];
      const extra = kind === bare ? '' : `${(median(xs) - median(results[bare][name])).toFixed(0)}`;
      // µs from the bare server's user CPU per request, scaled by the instruction ratio (same IPC assumed).
      const base = median(results[bare][name]);
      const us = kind === bare ? `(${bareUser[name].toFixed(2)} measured)` : ((bareUser[name] * (median(xs) - base)) / base).toFixed(2);
      lines.push(`| ${kind} | ${name} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${extra} | ${us} |`);
    }
  }
  if (others.length === 0) lines.push('', '(one server: no difference to report)');
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
