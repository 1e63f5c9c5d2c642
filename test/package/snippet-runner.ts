/**
 * Runs one documentation snippet (test/package/snippets.ts says what the markers mean) in the project that
 * installed the packed tarballs: to its exit, or — `server=self` — as a server that must answer the
 * marker's requests, stopped afterwards with its whole process group (npx, bash and their children).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../packages/cli/src/stack/run';
import { hasPythonModules, startGunicorn, type RunningGunicorn } from '../support/gunicorn';
import { portOpen } from '../support/listening';
import { snippetCommand, type Snippet, type SnippetRequest, type SnippetServer } from './snippets';

const EXIT_TIMEOUT_MS = 60_000;
const LISTEN_TIMEOUT_MS = 30_000;

export interface SnippetRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Output when something failed, '' otherwise. */
  readonly output: string;
  /** What the answers got wrong (server snippets). */
  readonly problems: readonly string[];
}

/**
 * An `npm` in `binDir` that installs `cors-sentinel` and `@cors-sentinel/cli` from the tarballs (the names are
 * not published from a checkout), offline first, then runs the real npm. `npm install -g @cors-sentinel/cli`
 * links the command the project installed from the same tarball into `globalPrefix`/bin, instead of a
 * second install of the tools' dependencies (a minute on a fresh machine).
 */
export function writeNpmShim(binDir: string, tarballs: { library: string; cli: string }, globalPrefix: string, project: string): void {
  const realNpm = spawnSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  mkdirSync(binDir, { recursive: true });
  const script = [
    '#!/usr/bin/env bash',
    'args=()',
    'if [ "${1:-}" = install ] && [ "${2:-}" = -g ] && [ "${3:-}" = @cors-sentinel/cli ] && [ $# -eq 3 ]; then',
    `  mkdir -p ${JSON.stringify(`${globalPrefix}/bin`)} && ln -sf ${JSON.stringify(`${project}/node_modules/.bin/cors-sentinel`)} ${JSON.stringify(`${globalPrefix}/bin/cors-sentinel`)}`,
    '  echo "added 1 package (linked from the project\'s install of the tarball)"; exit 0',
    'fi',
    'for a in "$@"; do',
    '  case "$a" in',
    `    cors-sentinel) args+=(${JSON.stringify(tarballs.library)}) ;;`,
    `    @cors-sentinel/cli) args+=(${JSON.stringify(tarballs.cli)}) ;;`,
    '    *) args+=("$a") ;;',
    '  esac',
    'done',
    `export npm_config_prefix=${JSON.stringify(globalPrefix)} npm_config_prefer_offline=true npm_config_audit=false npm_config_fund=false npm_config_loglevel=error`,
    `exec ${JSON.stringify(realNpm)} "\${args[@]}"`,
  ].join('\n');
  writeFileSync(path.join(binDir, 'npm'), `${script}\n`);
  chmodSync(path.join(binDir, 'npm'), 0o755);
}

/** Runs a snippet that is not a server: it must exit 0 within a minute. */
function runToExit(snippet: Snippet, cwd: string, env: NodeJS.ProcessEnv): SnippetRun {
  const [command, args] = snippetCommand(snippet);
  const run = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: EXIT_TIMEOUT_MS, killSignal: 'SIGKILL' });
  return { status: run.status, signal: run.signal, output: run.status === 0 ? '' : run.stdout + run.stderr, problems: [] };
}

/** What a request's answer gets wrong ('' when nothing). */
async function check(base: string, server: SnippetServer, request: SnippetRequest, env: NodeJS.ProcessEnv): Promise<string> {
  const headers: Record<string, string> = { origin: server.origin };
  if (request.preflight) headers['access-control-request-method'] = 'GET';
  if (request.bearer) headers.authorization = `Bearer ${env[request.bearer] ?? ''}`;
  const what = `${request.preflight ? 'preflight' : request.method} ${request.path}`;
  try {
    const response = await fetch(`${base}${request.path}`, { method: request.method, headers, signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    if (response.status !== request.status) return `${what}: ${response.status}, expected ${request.status}`;
    const allowOrigin = response.headers.get('access-control-allow-origin');
    if (request.preflight && response.status < 300 && allowOrigin !== server.origin) return `${what}: Access-Control-Allow-Origin ${allowOrigin}, expected ${server.origin}`;
    return '';
  } catch (err) {
    return `${what}: ${(err as Error).message}`;
  }
}

/** SIGTERM to the process group, SIGKILL after 5 s; resolves when the leader is gone. */
function stopGroup(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const pid = child.pid;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const timer = setTimeout(() => kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      kill('SIGKILL'); // what the leader left behind in its group
      resolve();
    });
    kill('SIGTERM');
  });
}

/** Starts a `server=self` snippet on a free port, sends its requests, stops it. */
async function runAsServer(snippet: Snippet, server: SnippetServer, cwd: string, env: NodeJS.ProcessEnv): Promise<SnippetRun> {
  const port = await freePort();
  const [command, args] = snippetCommand(snippet);
  const child = spawn(command, args, { cwd, env: { ...env, [server.portVariable]: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const problems: string[] = [];
  try {
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    while (!(await portOpen(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening on $${server.portVariable}`);
      if (Date.now() > deadline) throw new Error(`did not listen on $${server.portVariable} (127.0.0.1:${port}) within ${LISTEN_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const request of server.requests) problems.push(await check(`http://127.0.0.1:${port}`, server, request, env));
  } catch (err) {
    problems.push((err as Error).message);
  } finally {
    await stopGroup(child);
  }
  const failed = problems.filter(Boolean);
  return { status: 0, signal: null, output: failed.length > 0 ? output : '', problems: failed };
}

/**
 * CPU seconds this process and its waited-for children have used (Linux /proc; NaN elsewhere): the snippets'
 * cost in a figure a busy shared machine does not inflate the way it inflates wall time.
 */
export function cpuSecondsSoFar(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100; // utime stime cutime cstime, 100 Hz
  } catch {
    return Number.NaN;
  }
}

/** Whether something accepts TCP connections on `host:port` (synchronous: decided when the suite is collected). */
function reachable(host: string, port: number): boolean {
  const probe = `require('node:net').connect(${port}, ${JSON.stringify(host)}).on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
}

/** What a snippet needs that this machine lacks: outside CI a reason to skip it, in CI a failure (as for every suite). */
export function missingTool(snippet: Snippet): string | undefined {
  if (process.env.CI) return undefined;
  if (snippet.backend && !hasPythonModules('gunicorn', 'flask', 'flask_cors')) return 'gunicorn and Flask (python3-flask, python3-flask-cors, gunicorn)';
  const database = snippet.env.DATABASE_URL === undefined ? undefined : new URL(snippet.env.DATABASE_URL);
  if (database && !reachable(database.hostname, Number(database.port || 5432))) return `PostgreSQL on ${database.host}`;
  return undefined;
}

/** Runs a snippet with its stated environment (over `baseEnv`), its backend first if it names one. */
export async function runSnippet(snippet: Snippet, cwd: string, baseEnv: NodeJS.ProcessEnv): Promise<SnippetRun> {
  let backend: RunningGunicorn | undefined;
  const env: NodeJS.ProcessEnv = { ...baseEnv, ...snippet.env };
  try {
    if (snippet.backend) {
      backend = await startGunicorn();
      env[snippet.backend.portVariable] = String(backend.port);
    }
    return snippet.server ? await runAsServer(snippet, snippet.server, cwd, env) : runToExit(snippet, cwd, env);
  } finally {
    await backend?.stop();
  }
}
