'use strict';
/**
 * In-process cost of cors-sentinel's node:http entry point over the same policy written by hand, on
 * real IncomingMessage/ServerResponse objects (no socket: the response is serialised into Node's
 * output buffer), so that loopback and the load generator are out of the picture. Both arms answer
 * the request fully (headers and the JSON body); the difference is cors-sentinel's.
 *   npm run build && node bench/node-overhead.js [--rounds 7] [--iterations 200000]
 * Interleaved rounds, medians; run it pinned (`taskset -c 0`) and read the differences, not the absolute ns.
 * `BENCH_BASELINE_DIST=/path/to/other/checkout/dist/cjs` adds a third arm: another build (e.g. the
 * commit before a change) measured in the same rounds.
 */
const http = require('node:http');
const net = require('node:net');
const P = require('./policy');

const args = process.argv.slice(2);
const opt = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
const ROUNDS = opt('--rounds', 7);
const ITERATIONS = opt('--iterations', 200_000);

const { ROUTE, rawItems, handWrittenCors } = require('./lib/raw');

/** The floor: the policy written by hand around the same route, as the `node:http` bench server. */
function handWritten(req, res) {
  if (!handWrittenCors(req, res)) rawItems(req, res);
}

const { corsSentinelHandler } = require('../packages/cors-sentinel/dist/cjs');
const nullLogger = require('winston').createLogger({ transports: [new (require('winston').transports.Stream)({ stream: new (require('node:stream').Writable)({ write: (_c, _e, cb) => cb() }) })] });
const sentinel = corsSentinelHandler(P.sentinelOptions({ logger: nullLogger }), rawItems);
const baselineDist = process.env.BENCH_BASELINE_DIST;
const baseline = baselineDist ? require(baselineDist).corsSentinelHandler(P.sentinelOptions({ logger: nullLogger }), rawItems) : undefined;
const ARMS = [['hand-written', handWritten], ['sentinel', sentinel], ...(baseline ? [['baseline', baseline]] : [])];

const socket = new net.Socket();
const REQUESTS = {
  'allowed GET': { method: 'GET', url: ROUTE, headers: { host: 'api.example.com', origin: P.ALLOWED_ORIGIN, accept: '*/*' } },
  preflight: {
    method: 'OPTIONS', url: ROUTE,
    headers: { host: 'api.example.com', origin: P.ALLOWED_ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization' },
  },
  'rejected GET': { method: 'GET', url: ROUTE, headers: { host: 'api.example.com', origin: P.REJECTED_ORIGIN, accept: '*/*' } },
};

function run(handler, r, n) {
  // CPU time of this process, not wall time: on a shared machine the wall clock also counts the
  // time other processes held the CPU.
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const req = new http.IncomingMessage(socket);
    req.method = r.method;
    req.url = r.url;
    req.headers = r.headers;
    const res = new http.ServerResponse(req);
    handler(req, res);
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const r of Object.values(REQUESTS)) for (const [, handler] of ARMS) run(handler, r, 20_000);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, r] of Object.entries(REQUESTS)) {
    const arms = ARMS.map((_, i) => ARMS[(i + round) % ARMS.length]);
    for (const [arm, handler] of arms) ((results[name] ??= {})[arm] ??= []).push(run(handler, r, ITERATIONS));
  }
}
console.log(`node:http entry point vs hand-written CORS, in process: ${ROUNDS} interleaved rounds × ${ITERATIONS} requests, median ns of CPU per request (Node ${process.version})\n`);
const over = (arms, arm) => arms[arm].map((s, i) => s - arms['hand-written'][i]);
console.log(`| request | hand-written | cors-sentinel | overhead (median of per-round differences) |${baseline ? ' baseline build | baseline overhead |' : ''}`);
console.log(`|---|---:|---:|---:|${baseline ? '---:|---:|' : ''}`);
for (const [name, arms] of Object.entries(results)) {
  const cells = [median(arms['hand-written']).toFixed(0), median(arms.sentinel).toFixed(0), `${median(over(arms, 'sentinel')).toFixed(0)} ns`];
  if (baseline) cells.push(median(arms.baseline).toFixed(0), `${median(over(arms, 'baseline')).toFixed(0)} ns`);
  console.log(`| ${name} | ${cells.join(' | ')} |`);
}
sentinel.close();
baseline?.close();
