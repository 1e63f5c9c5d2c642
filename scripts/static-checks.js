'use strict';
/**
 * `npm test`'s type check and lint. Neither depends on the Node version running them, so a portable run
 * (CORS_SENTINEL_TESTS=portable, the extra Node versions of .ci/run) leaves them to the primary run,
 * which runs every suite; docs/node-versions.md says so.
 * The two run at once: each is one single-threaded process, and CI has two CPUs. Each one's output is
 * printed whole when it ends (type check first), so the two never interleave.
 */
const { spawn } = require('node:child_process');

/** `npm run <script> --silent`, its output collected; resolves to { status, output }. */
function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', script, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ status: 1, output: `${output}${err}\n` }));
    child.on('close', (status, signal) => resolve({ status: status ?? 1, output: signal ? `${output}killed by ${signal}\n` : output }));
  });
}

async function main() {
  if (process.env.CORS_SENTINEL_TESTS === 'portable') {
    process.stdout.write('type check and lint: run once, by the primary (all suites) run\n');
    return;
  }
  const scripts = ['typecheck', 'lint'];
  const results = await Promise.all(scripts.map(run));
  results.forEach((r, i) => {
    process.stdout.write(r.output);
    if (r.status !== 0) process.stderr.write(`npm run ${scripts[i]} failed (exit ${r.status})\n`);
  });
  if (results.some((r) => r.status !== 0)) process.exitCode = 1;
}

main();
