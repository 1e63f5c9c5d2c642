#!/usr/bin/env node
/**
 * `cors-sentinel suggest` on 10 million ledger records (docs/BENCHMARKS.md, "suggest"): writes evidence
 * files the way a fleet leaves them — one file per instance, each instance seeing a share of the same
 * (route, origin) pairs — then runs `suggest` over all of them and prints the wall and CPU time, split
 * into reading the files, reading their records (validated) into the fold, and the rest.
 *
 *   npm run build && node bench/suggest.js
 *
 * Knobs: SUGGEST_BENCH_RECORDS (10000000), SUGGEST_BENCH_FILES (50: one per instance),
 * SUGGEST_BENCH_PAIRS (distinct (route, origin) pairs over all files, 200000), SUGGEST_BENCH_KEEP=1
 * keeps the generated files (their directory is printed), SUGGEST_BENCH_DIR=<dir> reads the web-*.json
 * files a kept run left there instead of writing new ones, SUGGEST_BENCH_VERSION=1 writes the files in
 * the version 1 format (entries as objects) instead of the version 2 the writers write (evidenceText),
 * SUGGEST_BENCH_THREADS (default: one per CPU, as the command) reads the files in that many worker
 * threads; 1 reads them in the main thread and times reading the bytes apart.
 * SUGGEST_BENCH_RECORDS=200000 SUGGEST_BENCH_FILES=2 is a quick run.
 */
'use strict';
const { mkdtempSync, writeFileSync, rmSync, statSync, readdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const DIST = join(__dirname, '../packages/cli/dist/cjs/suggest');
const RECORDS = Number(process.env.SUGGEST_BENCH_RECORDS ?? 10_000_000);
const FILES = Number(process.env.SUGGEST_BENCH_FILES ?? 50);
const PAIRS = Number(process.env.SUGGEST_BENCH_PAIRS ?? 200_000);
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const ROUTES = ['*', '/api/*', '/admin/*', '/public/*'];
const VERSION = Number(process.env.SUGGEST_BENCH_VERSION ?? 2);
const THREADS = Number(process.env.SUGGEST_BENCH_THREADS ?? require('node:os').availableParallelism());

const dayOf = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Pair i: a tenant origin on one route, seen on a few days of a 35-day window. */
function entry(i, instance) {
  const first = START + (i % 30) * DAY + (i % 3600) * 1000;
  const days = [dayOf(first), dayOf(first + 2 * DAY), dayOf(first + 5 * DAY)];
  return {
    route: ROUTES[i % ROUTES.length], origin: `https://t${Math.floor(i / ROUTES.length)}.shops${i % 50}.example.com`,
    firstSeen: first, lastSeen: first + 5 * DAY, days, preflight: { allowed: 2, rejected: 0 }, actual: { allowed: 9, rejected: 1 },
    methods: { GET: 8, PUT: 2 }, headers: { 'content-type': 2 }, credentialedGrants: 9, secFetchSite: { 'cross-site': 11 }, instances: [instance],
  };
}

function writeFiles(dir) {
  const { evidenceText } = require(join(__dirname, '../packages/cors-sentinel/dist/cjs/evidence/file.js'));
  const perFile = Math.ceil(RECORDS / FILES);
  const paths = [];
  let bytes = 0;
  for (let f = 0; f < FILES; f++) {
    const instance = `web-${f}:${1000 + f}`;
    const count = Math.min(perFile, RECORDS - f * perFile);
    const entries = new Array(count);
    // Each instance sees a contiguous, overlapping share of the pairs: the merge has real work to do.
    for (let k = 0; k < count; k++) entries[k] = entry((f * 7919 + k) % PAIRS, instance);
    const days = Array.from({ length: 35 }, (_, d) => dayOf(START + d * DAY));
    const path = join(dir, `${instance.replace(':', '-')}.json`);
    const file = { format: 'cors-sentinel-evidence', version: VERSION, instances: { [instance]: { firstSeen: START, lastSeen: START + 35 * DAY } }, days, entries, dropped: { requests: 0, pairs: 0 } };
    writeFileSync(path, VERSION === 1 ? JSON.stringify(file) : evidenceText(file));
    bytes += statSync(path).size;
    paths.push(path);
  }
  return { paths, bytes };
}

const cpuMs = (u) => (u.user + u.system) / 1000;

async function main() {
  const { readEvidenceFile, evidenceBytes, readEvidenceFilesInParallel } = require(join(DIST, 'evidence-input.js'));
  const { EvidenceFold } = require(join(DIST, 'fold.js'));
  const { suggestFrom } = require(join(DIST, 'cli.js'));
  const reuse = process.env.SUGGEST_BENCH_DIR || undefined;
  const dir = reuse ?? mkdtempSync(join(tmpdir(), 'suggest-bench-'));
  let paths;
  if (reuse) {
    paths = readdirSync(dir).filter((f) => /^web-.*\.json$/.test(f)).map((f) => join(dir, f));
    console.log(`reading the ${paths.length} evidence files already in ${dir}`);
  } else {
    console.log(`writing ${RECORDS} records in ${FILES} version ${VERSION} files (${PAIRS} distinct pairs) under ${dir} …`);
    const written = writeFiles(dir);
    paths = written.paths;
    console.log(`  ${(written.bytes / 1e6).toFixed(0)} MB on disk, ${(written.bytes / 1e6 / FILES).toFixed(1)} MB per file`);
  }
  const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);

  // One pass, as \`suggest\` runs, with the phases timed apart: reading the files' bytes, reading their
  // records (validated, from the bytes: the library's readEvidenceBytes) folded as they are read, then
  // classification, wildcards, the candidate and the report.
  let ioCpu = 0;
  let foldCpu = 0;
  let view = new EvidenceFold(paths);
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  if (THREADS > 1) {
    // What the command does: worker threads read and fold runs of files, the main thread merges their folds.
    view = await readEvidenceFilesInParallel(paths, THREADS, 0);
    foldCpu = cpuMs(process.cpuUsage()) - cpuMs(c0);
  } else {
    for (const path of paths) {
      const a = process.cpuUsage();
      const content = evidenceBytes(path);
      const b = process.cpuUsage();
      readEvidenceFile(view, path, content);
      ioCpu += cpuMs(b) - cpuMs(a);
      foldCpu += cpuMs(process.cpuUsage()) - cpuMs(b);
    }
  }
  const readWall = Date.now() - t0;
  const c1 = process.cpuUsage();
  const result = suggestFrom(view, undefined, { evidence: paths, out: join(dir, 'candidate.yaml'), report: join(dir, 'report.json'), trust: ['example.com'], nowMs: START + 35 * DAY });
  const restCpu = cpuMs(process.cpuUsage()) - cpuMs(c1);
  const totalCpu = cpuMs(process.cpuUsage()) - cpuMs(c0);
  console.log(`${view.records} records (${(bytes / 1e6).toFixed(0)} MB of JSON) → ${view.originCount} origins, ${result.origins.length} classified`);
  const split = THREADS > 1 ? `${THREADS} threads: read, parse+validate+fold, merge` : `file bytes ${ioCpu.toFixed(0)} ms, parse+validate+fold`;
  console.log(`  read: ${readWall} ms wall; CPU (all threads): ${split} ${foldCpu.toFixed(0)} ms (${(foldCpu * 1000 / view.records).toFixed(2)} µs/record)`);
  console.log(`  classify, wildcards, candidate, report: ${restCpu.toFixed(0)} ms CPU`);
  console.log(`  total: ${Date.now() - t0} ms wall, ${totalCpu.toFixed(0)} ms CPU; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (!reuse && process.env.SUGGEST_BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
