'use strict';
/** Turns one run's samples into the ratio table and the target verdicts (markdown). */

const REFERENCE = 'express';

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Per repetition, a's throughput over b's, each measured against the reference runs next to it. */
function ratios(samples, workload, a, b) {
  const xs = samples[workload]?.[a];
  const ys = samples[workload]?.[b];
  if (!xs || !ys) return [];
  return xs.map((x, i) => x.rps / x.refRps / (ys[i].rps / ys[i].refRps));
}

/** Median over repetitions of the same-repetition ratio a / b. */
function ratio(samples, workload, a, b) {
  return median(ratios(samples, workload, a, b));
}

/** "0.95 (0.91–0.99)": the median and the range over repetitions, so that the noise is on the page. */
function ratioWithRange(samples, workload, a, b) {
  const rs = ratios(samples, workload, a, b).filter(Number.isFinite);
  if (rs.length === 0) return '–';
  if (a === b) return '1.00';
  return `${fmt(median(rs))} (${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))})`;
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
const signedMb = (b) => (b === undefined ? '–' : `${b >= 0 ? '+' : ''}${mb(b)} MB`);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function evaluateTargets(result) {
  const { samples, floods, micro } = result;
  const flood = floods.find((f) => f.kind === 'sentinel');
  const targeted = micro.filter((m) => MICRO_TARGETED.includes(m.name)).map((m) => m.medianNs);
  const microMax = targeted.length > 0 ? Math.max(...targeted) : NaN;
  return [
    target('allowed-origin GET, enforce + metrics vs bare Express', ratio(samples, 'get', 'sentinel', REFERENCE), '≥ 0.97×', (x) => x >= 0.97, (x) => `${fmt(x)}×`),
    target('preflight vs bare Express\'s own OPTIONS answer', ratio(samples, 'preflight', 'sentinel', REFERENCE), '≥ 1.00×', (x) => x >= 1.0, (x) => `${fmt(x)}×`),
    target('cached async resolver vs static allowlist (allowed GET)', ratio(samples, 'get', 'sentinel+resolver', 'sentinel'), '≥ 0.98×', (x) => x >= 0.98, (x) => `${fmt(x)}×`),
    target(`origin flood (${flood?.origins ?? 0} distinct): RSS growth over the allowed-origin run, both read after a full GC`, flood?.growthAfterGc, '≤ 10 MB', (x) => x <= 10 * 2 ** 20, (x) => `${mb(x)} MB`),
    target('origin flood: RSS growth as read, without a GC first (depends on when V8 last collected)', flood?.growth, '≤ 10 MB', (x) => x <= 10 * 2 ** 20, (x) => `${mb(x)} MB`),
    target('origin flood: /metrics size', flood?.metricsBytes, '≤ 32 KB', (x) => x <= 32 * 1024, (x) => `${(x / 1024).toFixed(1)} KB`),
    target('origin flood: /metrics scrape time (median of 7, 250 ms apart)', flood?.scrapeMs, '≤ 5 ms', (x) => x <= 5, (x) => `${fmt(x)} ms`),
    target(`decide() + record() per request (worst of: ${MICRO_TARGETED.join('; ')})`, microMax, '≤ 1 µs', (x) => x <= 1000, (x) => `${fmt(x, 0)} ns`),
  ];
}
/** The request kinds the per-request budget applies to (the table shows the others as well). */
const MICRO_TARGETED = ['allowed GET (exact)', 'allowed preflight (exact)', 'rejected GET', 'allowed GET (cached async resolver)'];

function target(name, value, goal, ok, show) {
  const known = Number.isFinite(value);
  return { name, goal, value: known ? value : null, shown: known ? show(value) : 'not measured', met: known ? ok(value) : null };
}

function renderReport(result) {
  const { samples, floods, micro, workloads, config, machine, load } = result;
  const kinds = Object.keys(samples[workloads[0].id]);
  const lines = [];
  lines.push(`# cors-sentinel load benchmark — ${result.date}`, '');
  lines.push(`Machine: ${machine.cpu}, ${machine.cpus} CPUs, ${machine.memGiB} GiB; Linux ${machine.kernel}; Node ${machine.node}; ${machine.wrk.split(' [')[0]}; ${machine.nginx}.`);
  lines.push(`Pinning: ${machine.pinning}. Load average at start ${load.start.map((l) => l.toFixed(2)).join(' ')}, at end ${(load.end ?? []).map((l) => l.toFixed(2)).join(' ')}.`);
  lines.push(`Method: ${config.reps} interleaved repetitions (rotated order) × ${workloads.length} workloads; each measured run ${config.seconds} s after a ${config.warmup} s warm-up; wrk -t1 -c${config.connections}. Run took ${result.minutes.toFixed(1)} min.`, '');
  lines.push('## Throughput ratios to bare Express (median over repetitions, range in brackets)', '');
  lines.push('Every run is compared with the mean of the bare-Express runs just before and after it (reference, three servers, reference, …).', '');
  lines.push(`| server | ${workloads.map((w) => `${w.label} ×`).join(' | ')} | ${workloads.map((w) => `${w.label} rps`).join(' | ')} |`);
  lines.push(`|---|${workloads.map(() => '---:').join('|')}|${workloads.map(() => '---:').join('|')}|`);
  for (const k of kinds) {
    const cells = workloads.map((w) => ratioWithRange(samples, w.id, k, REFERENCE));
    const rps = workloads.map((w) => {
      const xs = samples[w.id][k];
      const bad = xs.some((x) => x.errors > 0) ? ' ⚠errors' : '';
      return `${Math.round(median(xs.map((x) => x.rps)))}${bad}`;
    });
    lines.push(`| ${k} | ${cells.join(' | ')} | ${rps.join(' | ')} |`);
  }
  if (samples.get?.sentinel && samples.get['sentinel+resolver']) {
    lines.push('', `Cached async resolver vs static allowlist, allowed GET: **${ratioWithRange(samples, 'get', 'sentinel+resolver', 'sentinel')}×** (same-repetition ratios).`);
  }
  lines.push('', 'Preflight column: bare Express answers OPTIONS itself (automatic `Allow` response, no CORS); the others answer the CORS preflight.');
  lines.push('Rejected GET: the request reaches the route (CORS is not access control), without CORS headers.', '');

  if (floods.length > 0) {
    lines.push('## Origin flood (a new random Origin on every request)', '');
    lines.push('| server | distinct origins | rps | RSS after allowed run | RSS after flood | growth | peak | RSS growth, both after a full GC | heap retained after GC | /metrics before → after | scrape (median, max of 7) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const f of floods) {
      const size = f.metricsBytes === undefined ? '–' : `${(f.metricsBefore / 1024).toFixed(1)} → ${(f.metricsBytes / 1024).toFixed(1)} KB`;
      lines.push(`| ${f.kind} | ${f.origins} | ${Math.round(f.floodRps)} | ${mb(f.rssAllowed)} MB | ${mb(f.rssFlood)} MB | ${f.growth >= 0 ? '+' : ''}${mb(f.growth)} MB | ${mb(f.rssPeak)} MB | ${signedMb(f.growthAfterGc)} | ${f.heapRetained === undefined ? '–' : `${f.heapRetained >= 0 ? '+' : ''}${mb(f.heapRetained)} MB`} | ${size} | ${f.scrapeMs === undefined ? '–' : `${fmt(f.scrapeMs)} ms (${fmt(f.scrapeMaxMs)})`} |`);
    }
    lines.push('', 'After a full GC: Node servers run with `--expose-gc` and answer on a control port (PORT + 1000) with `process.memoryUsage()` right after `gc()`; RSS and `heapUsed` are read that way after the allowed run and after the flood. RSS as read includes garbage not yet collected, so it swings with GC timing.', '');
  }
  lines.push('## Microbenchmark: decide() + record() per request (dist/cjs, median of interleaved rounds)', '');
  lines.push('| request | ns/request (median) | min | max |', '|---|---:|---:|---:|');
  for (const m of micro) lines.push(`| ${m.name} | ${fmt(m.medianNs, 0)} | ${fmt(m.minNs, 0)} | ${fmt(m.maxNs, 0)} |`);
  lines.push('', '## Targets', '', '| target | goal | measured | |', '|---|---|---:|---|');
  for (const t of result.targets) lines.push(`| ${t.name} | ${t.goal} | ${t.shown} | ${t.met === null ? 'not run' : t.met ? 'met' : '**missed**'} |`);
  lines.push('');
  return lines.join('\n');
}

module.exports = { median, ratio, renderReport, evaluateTargets, REFERENCE };
