'use strict';
/**
 * Microbenchmark of cross-origin request protection: `protect()` before `decide()` + `record()`, as
 * the Express adapter runs them, against the same sentinel without the option. Interleaved rounds,
 * medians, same-run ratios only (the machines are shared).
 *
 *   npm run build && node bench/fetch-metadata.js [--rounds 7] [--iterations 300000]
 */
const { createSentinel } = require('../dist/cjs');
const P = require('./policy');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = opt('rounds', 7);
const ITERATIONS = opt('iterations', 300_000);
const HOST = '127.0.0.1:8080';
const req = (method, origin, secFetchSite) => ({ method, path: '/api/items', origin, host: HOST, secFetchSite, hasCookie: false, raw: { headers: {}, url: '/api/items' } });

const off = createSentinel(P.sentinelOptions({ logger: false }));
const on = createSentinel(P.sentinelOptions({ logger: false, crossOriginProtection: { mode: 'report-only' } }));

const SCENARIOS = [
  ['GET, allowed origin', req('GET', P.ALLOWED_ORIGIN, 'cross-site')],
  ['POST, trusted cross-site', req('POST', P.ALLOWED_ORIGIN, 'cross-site')],
  ['POST, untrusted cross-site (would_block)', req('POST', P.REJECTED_ORIGIN, 'cross-site')],
  ['POST, same-origin', req('POST', undefined, 'same-origin')],
];

function run(s, r, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    s.protect(r);
    const d = s.decide(r);
    s.record(d, 0, r.origin);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = SCENARIOS.map(([name]) => ({ name, off: [], on: [] }));
for (let round = 0; round < ROUNDS; round++) {
  SCENARIOS.forEach(([, r], i) => {
    rows[i].off.push(run(off, r, ITERATIONS));
    rows[i].on.push(run(on, r, ITERATIONS));
  });
}
for (const row of rows) {
  const a = median(row.off);
  const b = median(row.on);
  console.log(`${row.name.padEnd(42)} off ${a.toFixed(0).padStart(5)} ns  on ${b.toFixed(0).padStart(5)} ns  ratio ${(b / a).toFixed(2)}`);
}
off.close();
on.close();
