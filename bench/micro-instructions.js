'use strict';
/**
 * bench/micro.js's loops (`protect()` + `decide()` + `record()`) counted in instructions under valgrind's
 * callgrind instead of timed: unlike ns on a shared machine, the count does not move with the load.
 * One process per build runs under callgrind; after bench/micro.js's warm-up, each scenario's window is:
 * zero the counters, run N iterations, dump, read the total; per iteration = total / N. The scenarios'
 * windows are repeated (--windows) and the median is reported: a window may carry late JIT work
 * (callgrind counts V8's compiler threads too) or a GC.
 *   npm run build && node bench/micro-instructions.js [--iterations 100000] [--windows 3] [name filter …]
 * `BENCH_BASELINE_DIST=/path/to/other/build/dist/cjs` adds a second build, counted the same way.
 * Needs valgrind. A few minutes per build.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const N = flag('--iterations', 100_000);
const WINDOWS = flag('--windows', 3);
const FILTERS = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));

/** The child, under callgrind: waits for a line on stdin before and after each scenario's window. */
async function child() {
  const { SCENARIOS, run, warmUp, closeAll } = require('./micro');
  const chosen = SCENARIOS.filter(([name]) => FILTERS.length === 0 || FILTERS.some((f) => name.includes(f)));
  await warmUp(chosen);
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (let w = 0; w < WINDOWS; w++) {
    for (const [name, s, req] of chosen) {
      process.stdout.write(`ready ${name}\n`);
      await lines.next();
      run(s, req, N);
      process.stdout.write('done\n');
      await lines.next();
    }
  }
  closeAll();
  process.exit(0);
}

async function countBuild(label, dist, dir) {
  const { callgrindControl, lastDumpTotal } = require('./instructions');
  const proc = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${dir}/cg.%p`, '--dump-instr=no', '--collect-jumps=no', process.execPath, __filename, '--child', ...args], {
    stdio: ['pipe', 'pipe', fs.openSync(path.join(dir, `${label}.log`), 'a')],
    env: { ...process.env, ...(dist ? { BENCH_DIST: dist } : {}) },
  });
  const out = readline.createInterface({ input: proc.stdout });
  const counts = {};
  let current;
  for await (const line of out) {
    if (line.startsWith('ready ')) {
      current = line.slice(6);
      callgrindControl('-z', proc.pid);
      proc.stdin.write('go\n');
    } else if (line === 'done') {
      callgrindControl('-d', proc.pid);
      (counts[current] ??= []).push(lastDumpTotal(dir, proc.pid) / N);
      process.stderr.write(`${label} ${current}: ${counts[current].at(-1).toFixed(0)} instructions/iteration\n`);
      proc.stdin.write('next\n');
    }
  }
  return counts;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cors-bench-micro-instructions-'));
  const builds = [['this build', undefined], ...(process.env.BENCH_BASELINE_DIST ? [['baseline', process.env.BENCH_BASELINE_DIST]] : [])];
  const results = [];
  for (const [label, dist] of builds) results.push([label, await countBuild(label, dist, dir)]);
  const median = (xs = [NaN]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cell = (xs) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  console.log(`Instructions per iteration (callgrind, median (range) of ${WINDOWS} windows × ${N} iterations after bench/micro.js's warm-up; Node ${process.version})\n`);
  console.log(`| scenario | ${results.map(([l]) => l).join(' | ')} |\n|---|${results.map(() => '---:').join('|')}|`);
  for (const name of Object.keys(results[0][1])) console.log(`| ${name} | ${results.map(([, c]) => cell(c[name] ?? [NaN])).join(' | ')} |`);
  fs.rmSync(dir, { recursive: true, force: true });
}

if (args.includes('--child')) {
  child().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
