/**
 * The native stack: the compose topology started from local binaries on loopback — the demo API,
 * its traffic simulator, the on-call webhook receiver (all this package's CLI), Debian's
 * `prometheus` and `prometheus-alertmanager`, and Grafana when a binary is installed. Services start
 * in dependency order, each waited for on its health endpoint; `stop()` ends them in reverse order.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_PORTS, prepareConfigs, type Ports, type ServiceName } from './topology';

export interface StackOptions {
  /** Repository (or installed package) root holding docker-compose.yml, deploy/, alerts/, dashboards/. */
  readonly root?: string;
  /** Local ports; 0 picks a free one. Default: the ports docker-compose.yml publishes. */
  readonly ports?: Partial<Ports>;
  readonly trafficRate?: number;
  readonly trafficProfile?: 'normal' | 'attack';
  readonly scrapeInterval?: string;
  /** Start Grafana if a binary exists (default true); `false` skips it. */
  readonly grafana?: boolean;
  /** Extra Prometheus flags (tests: `--rules.alert.resend-delay=1s`). */
  readonly prometheusArgs?: readonly string[];
  /** Where logs, data and the rewritten configs go; default a new temporary directory, removed on stop. */
  readonly dir?: string;
  /** Called with each line the on-call webhook receiver logs (default: printed). */
  readonly onAlert?: (line: string) => void;
  readonly log?: (line: string) => void;
}

export interface RunningStack {
  readonly ports: Ports;
  readonly urls: Readonly<Record<ServiceName, string>>;
  readonly dir: string;
  /** Services actually started (Grafana is missing without a binary). */
  readonly services: readonly string[];
  /** Rejects when a service exits on its own. */
  readonly failed: Promise<never>;
  stop(): Promise<void>;
}

interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
}

/** The repository root: the nearest ancestor with docker-compose.yml (works from src/ and from dist/cjs/). */
export function findRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) if (existsSync(join(dir, 'docker-compose.yml')) && existsSync(join(dir, 'package.json'))) return dir;
  throw new Error('stack: cannot find the cors-sentinel root (docker-compose.yml)');
}

export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, name: string, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`stack: ${name} exited (${child.exitCode ?? child.signalCode}); see ${logFile}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`stack: ${name} was not healthy at ${url} within ${timeoutMs} ms; see ${logFile}`);
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const root = options.root ?? findRoot();
  const log = options.log ?? ((l: string) => console.log(l));
  const prometheusBin = which('prometheus');
  const alertmanagerBin = which('prometheus-alertmanager') ?? which('alertmanager');
  if (!prometheusBin || !alertmanagerBin) throw new Error('stack: needs `prometheus` and `prometheus-alertmanager` on PATH (Debian: apt-get install prometheus prometheus-alertmanager), or use docker compose up');
  const grafanaBin = options.grafana === false ? undefined : (which('grafana') ?? which('grafana-server'));

  const ports = { ...DEFAULT_PORTS };
  for (const [name, port] of Object.entries({ ...DEFAULT_PORTS, ...options.ports }) as Array<[ServiceName, number]>) ports[name] = port === 0 ? await freePort() : port;
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'cors-sentinel-stack-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const configs = prepareConfigs(root, join(dir, 'config'), ports, { scrapeInterval: options.scrapeInterval });
  const cli = [join(root, 'packages', 'cli', 'dist', 'cjs', 'cli.js')].find(existsSync);
  if (!cli) throw new Error('stack: packages/cli/dist/cjs/cli.js is missing; run npm run build');

  const services: Service[] = [];
  let stopping = false;
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);

  const start = (name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, onLine?: (line: string) => void): Service => {
    const logFile = join(dir, 'logs', `${name}.log`);
    const out = createWriteStream(logFile);
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    child.stdout?.on('data', (c: Buffer) => {
      out.write(c);
      if (!onLine) return;
      pending += c.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') onLine(l);
    });
    child.stderr?.pipe(out);
    child.once('exit', (code, signal) => {
      if (!stopping) fail(new Error(`stack: ${name} exited unexpectedly (${code ?? signal}); see ${logFile}`));
    });
    const service = { name, child, logFile };
    services.push(service);
    return service;
  };
  const node = process.execPath;
  const loop = (name: ServiceName): string => `127.0.0.1:${ports[name]}`;

  const stop = async (): Promise<void> => {
    stopping = true;
    for (const s of [...services].reverse()) await stopChild(s.child);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    const onAlert = options.onAlert ?? ((l: string) => log(`[on-call] ${l}`));
    const webhook = start('oncall-webhook', node, [cli, 'stack', 'webhook', '--host', '127.0.0.1', '--port', String(ports['oncall-webhook'])], {}, (l) => {
      if (!l.startsWith('on-call webhook receiver listening')) onAlert(l);
    });
    const api = start('api', node, [cli, 'demo', '--host', '127.0.0.1', '--port', String(ports.api), '--no-traffic', '--json-log']);
    const alertmanager = start('alertmanager', alertmanagerBin, [
      `--config.file=${configs.alertmanagerConfig}`,
      `--storage.path=${join(dir, 'data', 'alertmanager')}`,
      `--web.listen-address=${loop('alertmanager')}`,
      // Empty: no gossip cluster (otherwise it binds 0.0.0.0:9094 and waits for peers).
      '--cluster.listen-address=',
    ]);
    await waitHealthy(`http://${loop('oncall-webhook')}/healthz`, webhook.child, 'oncall-webhook', webhook.logFile);
    await waitHealthy(`http://${loop('api')}/healthz`, api.child, 'api', api.logFile);
    const prober = start('prober', node, [cli, 'probe', '--serve', loop('prober'), '--config', configs.probeConfig]);
    await waitHealthy(`http://${loop('prober')}/metrics`, prober.child, 'prober', prober.logFile);
    await waitHealthy(`http://${loop('alertmanager')}/-/ready`, alertmanager.child, 'alertmanager', alertmanager.logFile);
    const prometheus = start('prometheus', prometheusBin, [
      `--config.file=${configs.prometheusConfig}`,
      `--storage.tsdb.path=${join(dir, 'data', 'prometheus')}`,
      `--web.listen-address=${loop('prometheus')}`,
      ...(options.prometheusArgs ?? []),
    ]);
    start('traffic', node, [cli, 'traffic', '--target', `http://${loop('api')}`, '--rate', String(options.trafficRate ?? 20), '--profile', options.trafficProfile ?? 'normal']);
    await waitHealthy(`http://${loop('prometheus')}/-/ready`, prometheus.child, 'prometheus', prometheus.logFile);
    if (grafanaBin) {
      const grafana = start('grafana', grafanaBin, grafanaArgs(grafanaBin), grafanaEnv(configs.grafanaProvisioning, configs.grafanaHomeDashboard, join(dir, 'data', 'grafana'), ports.grafana));
      await waitHealthy(`http://${loop('grafana')}/api/health`, grafana.child, 'grafana', grafana.logFile, 60_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const urls = Object.fromEntries(Object.keys(ports).map((n) => [n, `http://${loop(n as ServiceName)}`])) as Record<ServiceName, string>;
  return { ports, urls, dir, services: services.map((s) => s.name), failed, stop };
}

/** `grafana server` (Grafana 10+) or the older `grafana-server`, with the Debian/RPM home path when it exists. */
function grafanaArgs(bin: string): string[] {
  const args = bin.endsWith('grafana-server') ? [] : ['server'];
  const home = process.env.GRAFANA_HOME ?? ['/usr/share/grafana', '/opt/homebrew/share/grafana', '/usr/local/share/grafana'].find(existsSync);
  return home ? [...args, `--homepath=${home}`] : args;
}

/** The same settings as the compose service's environment, on loopback. */
function grafanaEnv(provisioning: string, home: string, data: string, port: number): NodeJS.ProcessEnv {
  return {
    GF_PATHS_PROVISIONING: provisioning,
    GF_PATHS_DATA: data,
    GF_PATHS_LOGS: join(data, 'logs'),
    GF_PATHS_PLUGINS: join(data, 'plugins'),
    GF_SERVER_HTTP_ADDR: '127.0.0.1',
    GF_SERVER_HTTP_PORT: String(port),
    GF_AUTH_ANONYMOUS_ENABLED: 'true',
    GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: home,
    GF_ANALYTICS_REPORTING_ENABLED: 'false',
    GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
