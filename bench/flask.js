'use strict';
/**
 * `npm run bench:flask`: the article's Flask load table reproduced in one run against real Flask
 * under gunicorn, extended with the cors-sentinel sidecar proxy (enforce, observe) and nginx with the
 * access-log observer. Every row is measured with wrk in interleaved rounds; the report gives medians
 * and same-round ratios against Flask alone, plus CPU per request of the proxy and of nginx's
 * proxy_pass with the same CORS (read from /proc).
 *
 * Environment: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (16), BENCH_WORKERS (gunicorn
 * workers, 2), BENCH_THREADS (gunicorn threads per worker, 4).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { cpuPlan, wrk, NGINX } = require('./lib/procs');
const { NGINX_LOG_FORMAT } = require('../packages/cli/dist/cjs/logs/nginx');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'cjs', 'cli.js');
const num = (name, fallback) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);
const CONFIG = { rounds: num('BENCH_ROUNDS', 3), seconds: num('BENCH_SECONDS', 5), connections: num('BENCH_CONNECTIONS', 16), workers: num('BENCH_WORKERS', 2), threads: num('BENCH_THREADS', 4) };
const TICK_MS = 10; // USER_HZ = 100 on Linux

const log = (msg) => process.stderr.write(`[bench:flask ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function spawnUntil(cmd, args, ready, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready:\n${out}`)), 20_000);
    const onData = (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}:\n${out}`)));
  });
}

async function gunicorn(corsMode) {
  const args = ['-w', String(CONFIG.workers), '-k', 'gthread', '--threads', String(CONFIG.threads), '-b', '127.0.0.1:0', '--log-level', 'warning', 'app:app'];
  // --log-level warning hides "Listening at": bind a free port instead.
  const port = await freePort();
  args[args.indexOf('127.0.0.1:0')] = `127.0.0.1:${port}`;
  const { child } = await spawnUntil('/usr/bin/gunicorn', args.filter((a) => a !== '--log-level' && a !== 'warning'), /Booting worker/, {
    cwd: path.join(ROOT, 'test', 'fixtures', 'flask'), env: { ...process.env, CORS_MODE: corsMode },
  });
  return { port, pids: [child.pid], child };
}

async function nginx(upstreamPort, tmp, withLog) {
  const prefix = fs.mkdtempSync(path.join(tmp, 'nginx-'));
  fs.chmodSync(prefix, 0o755);
  const port = await freePort();
  const logFile = path.join(prefix, 'cors.log');
  const conf = fs.readFileSync(path.join(__dirname, 'flask-nginx.conf.template'), 'utf8')
    .replaceAll('@PREFIX@', prefix).replaceAll('@PORT@', String(port)).replaceAll('@UPSTREAM_PORT@', String(upstreamPort))
    .replaceAll('@LOG_FORMAT@', NGINX_LOG_FORMAT).replaceAll('@LOG@', withLog ? `${logFile} cors_json` : 'off');
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/api/items`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const workers = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  return { port, pids: workers, child, logFile };
}

/** `cors-sentinel export --target nginx|haproxy` with --upstream/--listen, run as the README says. */
async function exportedEdge(target, upstreamPort, tmp, policyFile, { accessLog = true } = {}) {
  const dir = fs.mkdtempSync(path.join(tmp, `export-${target}-`));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const { execFileSync } = require('node:child_process');
  execFileSync(process.execPath, [CLI, 'export', '--policy', policyFile, '--target', target, '--out', dir, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--listen', `127.0.0.1:${port}`]);
  // A diagnostic row only: the same exported config without its access log, to tell the log's cost from the CORS layer's.
  if (!accessLog) fs.writeFileSync(path.join(dir, 'nginx.conf'), fs.readFileSync(path.join(dir, 'nginx.conf'), 'utf8').replace('access_log cors.log cors_json;', 'access_log off;'));
  const [cmd, args] = target === 'nginx'
    ? [NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]]
    : ['/usr/sbin/haproxy', ['-f', path.join(dir, 'haproxy.cfg')]];
  const child = spawn(cmd, args, { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${port}/api/items`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // nginx serves from its worker; HAProxy from its own process (all threads in one /proc stat).
  const pids = target === 'nginx' ? fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number) : [child.pid];
  return { port, pids, child };
}

async function proxy(upstreamPort, mode, policyFile) {
  const { child, match } = await spawnUntil(process.execPath, [CLI, 'proxy', '--policy', policyFile, '--upstream', `http://127.0.0.1:${upstreamPort}`, '--listen', '127.0.0.1:0', '--mode', mode], /listening on http:\/\/127\.0\.0\.1:(\d+)/, { env: { ...process.env, NODE_ENV: 'production' } });
  return { port: Number(match[1]), pids: [child.pid], child };
}

async function logObserver(file, policyFile) {
  const { child } = await spawnUntil(process.execPath, [CLI, 'logs', '--format', 'nginx-json', '--policy', policyFile, '--metrics-listen', '127.0.0.1:0', file], /reading/);
  return { pids: [child.pid], child };
}

/** CPU time (ms) of processes, from /proc/PID/stat utime + stime. */
function cpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MS;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const plan = { ...cpuPlan(), pin: false }; // gunicorn's workers need both CPUs; nothing is pinned
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-flask-'));
  const policyFile = path.join(tmp, 'policy.yaml');
  fs.writeFileSync(policyFile, 'origins: [https://app.example.com, https://admin.example.com]\ncredentials: true\nmethods: [GET, POST, PUT, DELETE]\nmaxAge: 600\n');
  const started = [];
  const track = (p) => (started.push(p), p);
  try {
    const plain = track(await gunicorn('none'));
    const open = track(await gunicorn('open'));
    const dynamic = track(await gunicorn('dynamic'));
    const edge = track(await nginx(plain.port, tmp, false));
    const edgeLogged = track(await nginx(plain.port, tmp, true));
    const enforce = track(await proxy(plain.port, 'enforce', policyFile));
    const observe = track(await proxy(dynamic.port, 'observe', policyFile));
    const reader = track(await logObserver(edgeLogged.logFile, policyFile));
    const exportedNginx = track(await exportedEdge('nginx', plain.port, tmp, policyFile));
    const exportedNginxNoLog = track(await exportedEdge('nginx', plain.port, tmp, policyFile, { accessLog: false }));
    const exportedHaproxy = track(await exportedEdge('haproxy', plain.port, tmp, policyFile));
    const rows = [
      { id: 'flask', label: 'Flask alone (no CORS)', target: plain },
      { id: 'flask-cors', label: 'Flask + flask-cors CORS(app) (article: full open)', target: open },
      { id: 'dynamic', label: 'Flask, dynamic origin check in after_request (article)', target: dynamic },
      { id: 'nginx', label: 'nginx CORS in front, proxy_pass (article: edge)', target: edge, cpu: edge },
      { id: 'enforce', label: 'cors-sentinel proxy, enforce → Flask', target: enforce, cpu: enforce },
      { id: 'observe', label: 'cors-sentinel proxy, observe → Flask (dynamic check)', target: observe, cpu: observe },
      // cpu: the reader per line; nginxCpu: that nginx's own worker, the like-for-like base of the exported config (both log cors_json).
      { id: 'nginx+logs', label: 'nginx CORS + cors-sentinel logs reading its log', target: edgeLogged, cpu: reader, nginxCpu: edgeLogged },
      { id: 'nginx-export', label: 'nginx, `cors-sentinel export` config (cors_json log on)', target: exportedNginx, cpu: exportedNginx },
      { id: 'nginx-export-nolog', label: 'nginx, `cors-sentinel export` config, access_log off (diagnostic)', target: exportedNginxNoLog, cpu: exportedNginxNoLog },
      { id: 'haproxy-export', label: 'HAProxy 2.6, `cors-sentinel export` config', target: exportedHaproxy, cpu: exportedHaproxy },
    ];
    const samples = Object.fromEntries(rows.map((r) => [r.id, []]));
    for (let round = 0; round < CONFIG.rounds; round++) {
      const order = rows.map((_, i) => rows[(i + round) % rows.length]);
      for (const row of order) {
        await wrk(plan, { port: row.target.port, script: 'get-allowed.lua', seconds: 1, connections: CONFIG.connections }); // warm-up
        const cpuBefore = row.cpu ? cpuMs(row.cpu.pids) : 0;
        const nginxCpuBefore = row.nginxCpu ? cpuMs(row.nginxCpu.pids) : 0;
        const r = await wrk(plan, { port: row.target.port, script: 'get-allowed.lua', seconds: CONFIG.seconds, connections: CONFIG.connections });
        const cpu = row.cpu ? cpuMs(row.cpu.pids) - cpuBefore : undefined;
        const nginxCpu = row.nginxCpu ? cpuMs(row.nginxCpu.pids) - nginxCpuBefore : undefined;
        samples[row.id].push({
          round, rps: r.rps, p50Us: r.p50Us, p99Us: r.p99Us, errors: r.errors + r.status, cpuUsPerReq: cpu === undefined ? undefined : (cpu * 1000) / r.requests,
          nginxCpuUsPerReq: nginxCpu === undefined ? (cpu === undefined ? undefined : (cpu * 1000) / r.requests) : (nginxCpu * 1000) / r.requests,
        });
        log(`round ${round + 1}/${CONFIG.rounds} ${row.id}: ${Math.round(r.rps)} rps, p50 ${(r.p50Us / 1000).toFixed(2)} ms, p99 ${(r.p99Us / 1000).toFixed(2)} ms${cpu === undefined ? '' : `, ${((cpu * 1000) / r.requests).toFixed(0)} µs CPU/req`}`);
      }
    }
    process.stdout.write(render(rows, samples));
    process.stdout.write(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} CPUs)\n`);
  } finally {
    for (const p of started.reverse()) p.child.kill('SIGTERM');
    setTimeout(() => fs.rmSync(tmp, { recursive: true, force: true }), 2000).unref();
  }
}

function render(rows, samples) {
  const base = samples.flask;
  const ratio = (id, key) => median(samples[id].map((s, i) => s[key] / base[i][key]));
  const ms = (us) => (us / 1000).toFixed(2);
  const lines = [
    `Flask load table, ${CONFIG.rounds} interleaved rounds × ${CONFIG.seconds} s, wrk ${CONFIG.connections} connections, allowed-origin GET /api/items;`,
    `gunicorn ${CONFIG.workers} workers × ${CONFIG.threads} threads (gthread), ${os.cpus().length} CPUs shared with wrk, nginx and the proxy.`,
    '',
    '| setup | rps (median) | × Flask alone | p50 ms | p50 − Flask ms | p99 ms | × p99 | CPU µs/req (own process) | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = samples[r.id];
    const cpu = s.every((x) => x.cpuUsPerReq !== undefined) ? median(s.map((x) => x.cpuUsPerReq)).toFixed(0) : '';
    const dP50 = median(s.map((x, i) => x.p50Us - base[i].p50Us));
    lines.push(`| ${r.label} | ${Math.round(median(s.map((x) => x.rps)))} | ${ratio(r.id, 'rps').toFixed(2)} | ${ms(median(s.map((x) => x.p50Us)))} | ${r.id === 'flask' ? '' : ms(dP50)} | ${ms(median(s.map((x) => x.p99Us)))} | ${ratio(r.id, 'p99Us').toFixed(2)} | ${cpu} | ${s.reduce((n, x) => n + x.errors, 0)} |`);
  }
  const sameRound = (a, b, key) => median(samples[a].map((s, i) => s[key] / samples[b][i][key]));
  lines.push('', `Proxy CPU per proxied request ÷ nginx proxy_pass with the same CORS (same round, median): ${sameRound('enforce', 'nginx', 'cpuUsPerReq').toFixed(2)}×`);
  // The issue's targets for the exported nginx config: ≥ 0.95× the hand-written map config's throughput,
  // ≤ 1.1× its CPU per request, ≥ 1.3× the sidecar proxy's throughput (same round, median of ratios).
  for (const [a, b] of [['nginx-export', 'nginx'], ['nginx-export', 'nginx+logs'], ['nginx-export', 'enforce'], ['nginx-export-nolog', 'nginx'], ['haproxy-export', 'nginx'], ['haproxy-export', 'enforce']]) {
    lines.push(`${a} ÷ ${b}: throughput ${sameRound(a, b, 'rps').toFixed(2)}×${samples[b][0].cpuUsPerReq !== undefined && b !== 'nginx+logs' ? `, CPU per request ${sameRound(a, b, 'cpuUsPerReq').toFixed(2)}×` : ''}`);
  }
  // Like for like: the exported config (cors_json log on) against the hand-written one with the same log, nginx's worker CPU both.
  lines.push(`nginx-export ÷ nginx+logs, nginx worker CPU per request: ${sameRound('nginx-export', 'nginx+logs', 'nginxCpuUsPerReq').toFixed(2)}×`);
  lines.push('');
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
