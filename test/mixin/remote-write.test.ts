/**
 * Many clusters, one ruler, on the machine's real servers: two "clusters", each a Prometheus in agent
 * mode with its own `external_labels: { cluster }` scraping its own cors-sentinel instance (node:http),
 * remote-write into one single-node VictoriaMetrics; vmalert evaluates the `--backend vmalert` rules
 * against it and notifies Alertmanager, whose webhook is this test. Healthy clusters send nothing; a
 * frontend broken in cluster B pages for B and that origin only; cluster A's exporter stopped is
 * "exporter absent" for A only. Windows and `for:` are scaled to seconds.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corsSentinelHandler, type CorsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import { ALERT_NAMES, resolveMixinConfig, type MixinConfig } from '../../packages/cli/src/mixin/config';
import { generateAlertmanager, generateRules, toYaml } from '../../packages/cli/src/mixin/generate';
import { closeServer, listen, sleep, start, stopAll, waitFor, webhook, type Received } from './processes';
import { describeWithTools, freePort } from './tools';

const JOB = 'cors-mc';
const FRONTEND = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';

interface Alert {
  labels: Record<string, string>;
  state: string;
}

/** One cluster's cors-sentinel instance: a node:http server whose policy a "deploy" can replace. */
class Instance {
  handler: CorsSentinelHandler;
  readonly retired: CorsSentinelHandler[] = [];
  server!: Server;

  constructor(origins: readonly string[]) {
    this.handler = Instance.build(origins);
  }

  static build(origins: readonly string[]): CorsSentinelHandler {
    let metrics: ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void) | undefined;
    const handler = corsSentinelHandler({ origins: [...origins], maxAge: 600, logger: false }, (req, res) => {
      if (req.url === '/metrics' && metrics) return metrics(req, res);
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    metrics = handler.metricsHandler();
    return handler;
  }

  async listen(): Promise<string> {
    this.server = await listen(0, (req, res) => this.handler(req, res));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A deploy: new policy, new registry (counters restart, as after a real rollout). */
  deploy(origins: readonly string[]): void {
    this.retired.push(this.handler);
    this.handler = Instance.build(origins);
  }

  close(): void {
    for (const h of [...this.retired, this.handler]) h.close();
  }
}

describeWithTools('prometheus', 'prometheus-alertmanager', 'victoria-metrics', 'vmalert')('mixin on a central ruler (2 × Prometheus agent → VictoriaMetrics → vmalert → Alertmanager)', () => {
  jest.setTimeout(240_000);
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const received: Received[] = [];
  const agent = new Agent({ keepAlive: true });
  const clusters = { a: new Instance([FRONTEND, ADMIN]), b: new Instance([FRONTEND, ADMIN]) };
  const targets: Record<string, string> = {};
  let dir: string;
  let vm: string;
  let vmalert: string;
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-rw-'));
    const [vmPort, vmalertPort, amPort, hookPort, promA, promB] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    vm = `http://127.0.0.1:${vmPort}`;
    vmalert = `http://127.0.0.1:${vmalertPort}`;
    servers.push(await webhook(hookPort, received));
    targets.a = await clusters.a.listen();
    targets.b = await clusters.b.listen();

    const config = mixinConfig(hookPort);
    const ruleFiles = Object.entries(generateRules(config, 'vmalert')).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    writeFileSync(join(dir, 'alertmanager.yml'), generateAlertmanager(config));

    children.push(start('victoria-metrics', [
      `-storageDataPath=${join(dir, 'vm')}`, `-httpListenAddr=127.0.0.1:${vmPort}`, '-retentionPeriod=1d',
      // Fresh samples visible at once (the default hides the last 30 s), no cached rollups between evaluations.
      '-search.latencyOffset=0s', '-search.disableCache', '-loggerLevel=ERROR',
    ]));
    children.push(start('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
    ]));
    for (const [name, port] of [['a', promA], ['b', promB]] as const) {
      writeFileSync(join(dir, `prometheus-${name}.yml`), toYaml(agentConfig(name, targets[name] as string, vm), `cluster ${name}`));
      children.push(start('prometheus', [
        '--enable-feature=agent', `--config.file=${join(dir, `prometheus-${name}.yml`)}`, `--storage.agent.path=${join(dir, `agent-${name}`)}`,
        `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
      ]));
    }

    // Browser-like traffic in each cluster: a frontend's reads, its preflights now and then, non-CORS
    // requests and a stranger's occasional rejected request.
    let tick = 0;
    traffic = setInterval(() => {
      tick += 1;
      for (const target of Object.values(targets)) {
        send(target, 'GET', '/api/products', { Origin: FRONTEND });
        if (tick % 3 === 0) send(target, 'GET', '/public/status', {});
        if (tick % 10 === 0) send(target, 'OPTIONS', '/api/orders/1', { Origin: FRONTEND, 'Access-Control-Request-Method': 'PUT' });
        if (tick % 20 === 0) send(target, 'GET', '/api/products', { Origin: 'https://stranger.example' });
      }
    }, 100);

    // vmalert starts once both clusters' series are in the store, as a ruler joining a running fleet
    // would: before that, "nothing seen yet" would count as absent.
    await waitFor(async () => (await query(`group by (cluster) (cors_config_info{job="${JOB}"})`)).length === 2, 60_000, 'both clusters\' series in VictoriaMetrics');
    children.push(start('vmalert', [
      ...ruleFiles.map((f) => `-rule=${f}`), `-datasource.url=${vm}`, `-remoteWrite.url=${vm}`, `-remoteWrite.flushInterval=1s`,
      `-notifier.url=http://127.0.0.1:${amPort}`, `-httpListenAddr=127.0.0.1:${vmalertPort}`,
      '-evaluationInterval=1s', '-datasource.queryStep=5s', '-loggerLevel=ERROR',
    ]));
  });

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await stopAll(children);
    agent.destroy();
    for (const c of Object.values(clusters)) c.close();
    await Promise.all([...servers, clusters.b.server, ...(clusters.a.server.listening ? [clusters.a.server] : [])].map(closeServer));
    rmSync(dir, { recursive: true, force: true });
  });

  function send(target: string, method: string, path: string, headers: Record<string, string>): void {
    const req = request(`http://${target}${path}`, { method, headers, agent }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end();
  }

  async function query(expr: string): Promise<Array<{ metric: Record<string, string> }>> {
    const res = await fetch(`${vm}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string> }> } }).data.result;
  }

  async function activeAlerts(): Promise<Alert[]> {
    const res = await fetch(`${vmalert}/api/v1/alerts`);
    return ((await res.json()) as { data: { alerts: Alert[] | null } }).data.alerts ?? [];
  }

  /** Firing alerts named `alertname` that reached the webhook at `path`, with when they arrived. */
  function notified(path: string, alertname: string): Array<Record<string, string> & { at: string }> {
    return received
      .filter((r) => r.path === path)
      .flatMap((r) => r.body.alerts.filter((a) => a.status === 'firing' && a.labels.alertname === alertname).map((a) => ({ ...a.labels, at: String(r.at) })));
  }

  it('stays quiet while both clusters are healthy', async () => {
    const allowed = (cluster: string) => `cluster_job_origin_outcome:cors_requests:rate10s{cluster="${cluster}", job="${JOB}", origin="${FRONTEND}", outcome="allowed"} > 1`;
    await waitFor(async () => (await query(allowed('a'))).length === 1 && (await query(allowed('b'))).length === 1, 60_000, 'the recorded per-origin rates of both clusters');
    await sleep(8_000);
    // vmalert 1.79 lists its groups at /api/v1/rules.
    const groups = (await (await fetch(`${vmalert}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError: string }> }> } };
    const rules = groups.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(ALERT_NAMES.length);
    expect(rules.filter((r) => r.lastError || r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect((await activeAlerts()).map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
    expect(received).toEqual([]);
  });

  it('pages for cluster B and the broken frontend only, when a deploy in B drops it', async () => {
    const deployedAt = Date.now();
    clusters.b.deploy([ADMIN]);
    const page = await waitFor(async () => notified('/alerts', 'CorsAllowedOriginNowRejected')[0], 90_000, 'the page at the on-call webhook');
    expect(page).toMatchObject({ severity: 'critical', cluster: 'b', job: JOB, origin: FRONTEND });
    await sleep(5_000);
    // Every page is this one incident: cluster B, the frontend's origin (its reads and its preflights).
    const pages = received.filter((r) => r.path === '/alerts').flatMap((r) => r.body.alerts.map((a) => a.labels));
    expect(pages.filter((l) => l.cluster !== 'b' || l.origin !== FRONTEND)).toEqual([]);
    const groupsNotified = new Set(received.filter((r) => r.path === '/alerts').map((r) => [...new Set(r.body.alerts.map((a) => `${a.labels.alertname}/${a.labels.cluster}`))].join()));
    expect([...groupsNotified]).toEqual(['CorsAllowedOriginNowRejected/b']);
    expect((await activeAlerts()).filter((a) => a.labels.cluster === 'a')).toEqual([]);
    console.log(`remote-write e2e: page ${((Number(page.at) - deployedAt) / 1000).toFixed(1)} s after the deploy in B`);
  });

  it('says exporter absent for cluster A only, when A\'s exporter stops', async () => {
    const stoppedAt = Date.now();
    await closeServer(clusters.a.server);
    const absent = await waitFor(async () => notified('/default', 'CorsExporterAbsent')[0], 90_000, 'CorsExporterAbsent at the default webhook');
    expect(absent).toMatchObject({ severity: 'warning', cluster: 'a', job: JOB });
    await sleep(5_000);
    expect(notified('/default', 'CorsExporterAbsent').filter((l) => l.cluster !== 'a')).toEqual([]);
    const active = await activeAlerts();
    expect(active.filter((a) => a.labels.alertname === 'CorsExporterAbsent').map((a) => a.labels.cluster)).toEqual(['a']);
    console.log(`remote-write e2e: exporter absent for A ${((Number(absent.at) - stoppedAt) / 1000).toFixed(1)} s after it stopped (for: 20s)`);
    // Cluster A never paged: it was healthy until its exporter went away.
    expect(notified('/alerts', 'CorsAllowedOriginNowRejected').filter((l) => l.cluster === 'a')).toEqual([]);
  });
});

/** A cluster's Prometheus (agent mode): its own `cluster` external label, 1 s scrapes, remote write to the central store. */
function agentConfig(cluster: string, target: string, store: string): Record<string, unknown> {
  return {
    global: { scrape_interval: '1s', external_labels: { cluster } },
    scrape_configs: [{ job_name: JOB, metrics_path: '/metrics', static_configs: [{ targets: [target] }] }],
    remote_write: [{ url: `${store}/api/v1/write`, queue_config: { batch_send_deadline: '1s', min_backoff: '100ms', max_backoff: '1s' }, metadata_config: { send: false } }],
  };
}

/** Every alert takes part, with windows and `for:` scaled to seconds; one notification group per cluster. */
function mixinConfig(hookPort: number): MixinConfig {
  return resolveMixinConfig({
    selector: `job="${JOB}"`,
    aggregationLabels: ['cluster', 'job'],
    windows: { rate: '10s', event: '15s', baselineInterval: '1s', rollout: '3s', lowTraffic: '30s', presence: '10m' },
    // A series born in VictoriaMetrics (a deploy's new policy_hash) can take seconds to be searchable:
    // the presence alerts wait longer than that gap, as their production `for:` (minutes) does.
    for: { ...Object.fromEntries(ALERT_NAMES.map((n) => [n, '1s'])), CorsAllowedOriginNowRejected: '2s', CorsExporterAbsent: '20s', CorsTargetDown: '20s' },
    alertmanager: {
      oncallWebhookUrl: `http://127.0.0.1:${hookPort}/alerts`,
      defaultWebhookUrl: `http://127.0.0.1:${hookPort}/default`,
      groupBy: ['alertname', 'cluster', 'job'],
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
    },
  });
}
