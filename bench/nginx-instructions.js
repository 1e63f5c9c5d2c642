'use strict';
/**
 * nginx instructions per request, counted by valgrind's callgrind: the hand-written `map` config of
 * bench:flask (bench/flask-nginx.conf.template) against the `cors-sentinel export --target nginx` config for
 * the same policy, per kind of request. Unlike CPU time the counts do not move with the machine's load, so
 * a shared machine can read a difference of a few per cent (issue #26's target: ≤ 1.1× the hand-written
 * config's CPU per request).
 *   npm run build && node bench/nginx-instructions.js [--requests 1000] [--warmup 200] [--keep DIR] [config …]
 * Each config runs as one single-process nginx (`master_process off`) under callgrind in front of a
 * native nginx upstream that answers like the Flask app (a small JSON body). Per kind: one run sends the
 * warm-up of every kind, then N keep-alive requests of that kind, and exits; a baseline run sends the
 * warm-up only. Per request = (run − baseline) / N: start-up, config parsing and exit cancel out.
 * Callgrind counts user-space instructions only: the kernel's socket and log write(2) work is not in them.
 * Needs valgrind (Debian package `valgrind`).
 */
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { NGINX } = require('./lib/procs');
const { NGINX_LOG_FORMAT } = require('../packages/cli/dist/cjs/logs/nginx');

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const REQUESTS = Number(flag('--requests', 1000));
const WARMUP = Number(flag('--warmup', 200));
const KEEP = flag('--keep', undefined);
const CLI = path.join(__dirname, '..', 'packages', 'cli', 'dist', 'cjs', 'cli.js');
const POLICY = 'origins: [https://app.example.com, https://admin.example.com]\ncredentials: true\nmethods: [GET, POST, PUT, DELETE]\nmaxAge: 600\n';

const ORIGIN = 'https://app.example.com';
const KINDS = {
  'allowed GET': { method: 'GET', headers: { origin: ORIGIN, 'x-tenant-id': 'acme' } },
  'allowed preflight': { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type', 'x-tenant-id': 'acme' } },
  // bench/wrk/preflight.lua: authorization is not in the policy's list (the hand-written config allows it anyway).
  'bench preflight': { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization', 'x-tenant-id': 'acme' } },
  'rejected GET': { method: 'GET', headers: { origin: 'https://evil.example.net', 'x-tenant-id': 'acme' } },
};

/** Single process, in the foreground, so that callgrind sees the worker's every instruction. */
const singleProcess = (conf) => conf.replace(/^\s*master_process \w+;\n/m, '').replace('daemon off;', 'daemon off;\nmaster_process off;');

const CONFIGS = {
  'hand-written': (dir, port, upstream) => handWritten(dir, port, upstream, false),
  'hand-written+log': (dir, port, upstream) => handWritten(dir, port, upstream, true),
  exported: (dir, port, upstream) => exported(dir, port, upstream, true),
  'exported-nolog': (dir, port, upstream) => exported(dir, port, upstream, false),
};

function handWritten(dir, port, upstream, withLog) {
  const conf = fs.readFileSync(path.join(__dirname, 'flask-nginx.conf.template'), 'utf8')
    .replaceAll('@PREFIX@', dir).replaceAll('@PORT@', String(port)).replaceAll('@UPSTREAM_PORT@', String(upstream))
    .replaceAll('@LOG_FORMAT@', NGINX_LOG_FORMAT).replaceAll('@LOG@', withLog ? `${dir}/cors.log cors_json` : 'off');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), singleProcess(conf));
}

function exported(dir, port, upstream, withLog) {
  fs.writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  execFileSync(process.execPath, [CLI, 'export', '--policy', path.join(dir, 'policy.yaml'), '--target', 'nginx', '--out', dir, '--upstream', `http://127.0.0.1:${upstream}`, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  let conf = singleProcess(fs.readFileSync(path.join(dir, 'nginx.conf'), 'utf8'));
  if (!withLog) conf = conf.replace(/access_log cors\.log cors_json[^;]*;/, 'access_log off;');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
}

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A native nginx answering like the Flask fixture: 200, a small JSON body, over keep-alive. */
async function upstream(tmp) {
  const dir = fs.mkdtempSync(path.join(tmp, 'upstream-'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events {} http { access_log off; keepalive_requests 1000000; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${port}; location / { default_type application/json; return 200 '{"items":[1,2,3]}\\n'; } } }
`);
  const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  await ready(port, child);
  return { port, child };
}

async function ready(port, child) {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    if (await get(port, { method: 'GET', headers: {} }).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('nginx did not start');
}

function get(port, kind, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/api/items', agent, ...kind }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `n` requests over 4 keep-alive connections; the statuses seen. */
async function send(port, kind, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const statuses = {};
  let next = 0;
  const loop = async () => {
    while (next++ < n) {
      const s = await get(port, kind, agent);
      statuses[s] = (statuses[s] ?? 0) + 1;
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  agent.destroy();
  return statuses;
}

/** One callgrind run: warm-up of every kind, then `n` of `kind` (none for the baseline); the total. */
async function run(config, tmp, upstreamPort, kind, n) {
  const dir = fs.mkdtempSync(path.join(tmp, `${config}-`));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'tmp'));
  const port = await freePort();
  CONFIGS[config](dir, port, upstreamPort);
  const out = path.join(dir, 'callgrind.out');
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-instr=no', '--collect-jumps=no',
    NGINX, '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let statuses;
  try {
    await ready(port, child);
    for (const k of Object.values(KINDS)) await send(port, k, WARMUP);
    if (kind) statuses = await send(port, KINDS[kind], n);
  } finally {
    child.kill('SIGQUIT');
  }
  await exited;
  const m = /^(?:totals|summary): (\d+)/m.exec(fs.readFileSync(out, 'utf8'));
  if (!m) throw new Error(`no totals in ${out}`);
  if (KEEP) fs.cpSync(out, path.join(KEEP, `${config}.${kind ? kind.replace(/\W+/g, '_') : 'baseline'}.callgrind`));
  return { total: Number(m[1]), statuses };
}

async function main() {
  const configs = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  const chosen = configs.length > 0 ? configs : ['hand-written', 'exported'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-instructions-'));
  if (KEEP) fs.mkdirSync(KEEP, { recursive: true });
  const up = await upstream(tmp);
  const results = {};
  try {
    for (const config of chosen) {
      const base = await run(config, tmp, up.port, undefined, 0);
      for (const kind of Object.keys(KINDS)) {
        const r = await run(config, tmp, up.port, kind, REQUESTS);
        (results[config] ??= {})[kind] = (r.total - base.total) / REQUESTS;
        process.stderr.write(`${config} ${kind}: ${results[config][kind].toFixed(0)} instructions/request, statuses ${JSON.stringify(r.statuses)}\n`);
      }
    }
  } finally {
    up.child.kill('SIGQUIT');
    setTimeout(() => fs.rmSync(tmp, { recursive: true, force: true }), 1000).unref();
  }
  const lines = [`nginx instructions per request (callgrind, ${REQUESTS} keep-alive requests per kind after ${WARMUP} of each; ${spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim()})`, ''];
  lines.push(`| kind | ${chosen.join(' | ')} |${chosen.length > 1 ? ` ${chosen.slice(1).map((c) => `${c} ÷ ${chosen[0]}`).join(' | ')} |` : ''}`);
  lines.push(`|---|${chosen.map(() => '---:').join('|')}|${chosen.slice(1).map(() => '---:|').join('')}`);
  for (const kind of Object.keys(KINDS)) {
    const cells = chosen.map((c) => results[c][kind].toFixed(0));
    const ratios = chosen.slice(1).map((c) => `${(results[c][kind] / results[chosen[0]][kind]).toFixed(2)}×`);
    lines.push(`| ${kind} | ${cells.join(' | ')} |${ratios.length ? ` ${ratios.join(' | ')} |` : ''}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
