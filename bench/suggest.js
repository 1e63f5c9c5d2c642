#!/usr/bin/env node
/**
 * `cors-sentinel suggest` on 10 million ledger records (docs/BENCHMARKS.md, "suggest"): writes evidence
 * files the way a fleet leaves them — one file per instance, each instance seeing a share of the same
 * (route, origin) pairs — then runs `suggest` over all of them and prints the wall and CPU time, split
 * into reading (JSON.parse and validation), folding and the rest.
 *
 *   npm run build && node bench/suggest.js
 *
 * Knobs: SUGGEST_BENCH_RECORDS (10000000), SUGGEST_BENCH_FILES (50: one per instance),
 * SUGGEST_BENCH_PAIRS (distinct (route, origin) pairs over all files, 200000), SUGGEST_BENCH_KEEP=1
 * keeps the generated files (their directory is printed).
 */
'use strict';
const { mkdtempSync, writeFileSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const DIST = join(__dirname, '../packages/cli/dist/cjs/suggest');
const RECORDS = Number(process.env.SUGGEST_BENCH_RECORDS ?? 10_000_000);
const FILES = Number(process.env.SUGGEST_BENCH_FILES ?? 50);
const PAIRS = Number(process.env.SUGGEST_BENCH_PAIRS ?? 200_000);
const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
const ROUTES = ['*', '/api/*', '/admin/*', '/public/*'];

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
    writeFileSync(path, JSON.stringify({ format: 'cors-sentinel-evidence', version: 1, instances: { [instance]: { firstSeen: START, lastSeen: START + 35 * DAY } }, days, entries, dropped: { requests: 0, pairs: 0 } }));
    bytes += statSync(path).size;
    paths.push(path);
  }
  return { paths, bytes };
}

const cpuMs = (u) => (u.user + u.system) / 1000;

function main() {
  const { readEvidenceFiles, parseEvidenceFile, foldFile, emptyView } = require(join(DIST, 'evidence-input.js'));
  const { suggest } = require(join(DIST, 'cli.js'));
  const dir = mkdtempSync(join(tmpdir(), 'suggest-bench-'));
  console.log(`writing ${RECORDS} records in ${FILES} files (${PAIRS} distinct pairs) under ${dir} …`);
  const { paths, bytes } = writeFiles(dir);
  console.log(`  ${(bytes / 1e6).toFixed(0)} MB on disk, ${(bytes / 1e6 / FILES).toFixed(1)} MB per file`);

  // Phases, measured apart: parse+validate (the library's parseEvidence), then the fold.
  let parseCpu = 0;
  let foldCpu = 0;
  const view = emptyView(paths);
  const t0 = Date.now();
  for (const path of paths) {
    const c0 = process.cpuUsage();
    const file = parseEvidenceFile(path);
    const c1 = process.cpuUsage();
    foldFile(view, file);
    parseCpu += cpuMs(process.cpuUsage(c0)) - cpuMs(process.cpuUsage(c1));
    foldCpu += cpuMs(process.cpuUsage(c1));
  }
  console.log(`read: ${view.records} records, ${view.origins.size} origins in ${Date.now() - t0} ms wall (parse+validate ${parseCpu.toFixed(0)} ms CPU, fold ${foldCpu.toFixed(0)} ms CPU)`);

  // The whole command, as a user runs it (reading again, classifying, writing the candidate and report).
  const c0 = process.cpuUsage();
  const t1 = Date.now();
  const result = suggest({ evidence: paths, out: join(dir, 'candidate.yaml'), report: join(dir, 'report.json'), trust: ['example.com'], nowMs: START + 35 * DAY });
  const wall = Date.now() - t1;
  console.log(`suggest: ${result.completeness.records} records → ${result.origins.length} origins classified in ${wall} ms wall, ${cpuMs(process.cpuUsage(c0)).toFixed(0)} ms CPU; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  void readEvidenceFiles;
  if (process.env.SUGGEST_BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
}

main();
