/**
 * End to end: the demo API behind cors-sentinel, a real Prometheus (1 s scrape and evaluation)
 * loaded with the generated rules, a real Alertmanager with the generated route, and a webhook
 * receiver. Normal traffic must send nothing; a deploy that drops a real frontend from the policy
 * must page on-call. The rules are generated with short windows and `for:` so that this takes
 * seconds, from the same generator and config type as the committed files.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoApp } from '../../packages/cli/src/demo/app';
import { ALERT_NAMES, resolveMixinConfig, type MixinConfig } from '../../packages/cli/src/mixin/config';
import { prometheusConfig } from '../../packages/cli/src/mixin/deploy';
import { generateAlertmanager, toYaml } from '../../packages/cli/src/mixin/generate';
import { browserTraffic, closeServer, listen, promQuery, sleep, start, startPrometheus, stopAll, waitFor, webhook, writeRuleFiles, type Received } from './processes';
import { describeWithTools, freePort } from './tools';

const FRONTEND = 'https://app.example.com';
const POLICY_BEFORE = { origins: [FRONTEND, 'https://admin.example.com'], maxAge: 600 };
// The "deploy": someone rewrote the allowlist and lost the main frontend.
const POLICY_AFTER = { origins: ['https://admin.example.com'], maxAge: 600 };

describeWithTools('prometheus', 'prometheus-alertmanager')('mixin end to end (Prometheus + Alertmanager + webhook)', () => {
  jest.setTimeout(60_000);
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const received: Received[] = [];
  const agent = new Agent({ keepAlive: true });
  let dir: string;
  let api: string;
  let prom: string;
  let am: string;
  let config: MixinConfig;
  let handler: RequestListener;
  let stopTraffic: (() => void) | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-e2e-'));
    const [apiPort, promPort, amPort, hookPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    api = `http://127.0.0.1:${apiPort}`;
    prom = `http://127.0.0.1:${promPort}`;
    am = `http://127.0.0.1:${amPort}`;

    // Every alert takes part, with windows and `for:` scaled to seconds; absence waits longer than the
    // test so that the seconds before the first scrape do not count.
    config = resolveMixinConfig({
      selector: 'job="cors-e2e"',
      windows: { rate: '10s', event: '15s', baselineInterval: '1s', rollout: '3s', lowTraffic: '30s' },
      for: { ...Object.fromEntries(ALERT_NAMES.map((n) => [n, '1s'])), CorsAllowedOriginNowRejected: '2s', CorsExporterAbsent: '2m' },
      alertmanager: {
        oncallWebhookUrl: `http://127.0.0.1:${hookPort}/alerts`,
        defaultWebhookUrl: `http://127.0.0.1:${hookPort}/default`,
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
      },
    });
    const ruleFiles = writeRuleFiles(dir, config);
    writeFileSync(join(dir, 'alertmanager.yml'), generateAlertmanager(config));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml(prometheusConfig({ targets: [`127.0.0.1:${apiPort}`], alertmanagers: [`127.0.0.1:${amPort}`], ruleFiles, jobName: 'cors-e2e', scrapeInterval: '1s', evaluationInterval: '1s' }), 'e2e'),
    );

    servers.push(await webhook(hookPort, received));
    // One server whose handler a "deploy" swaps: a new app, a new registry, counters reset.
    handler = createDemoApp({ policy: POLICY_BEFORE, logger: false }).app;
    servers.push(await listen(apiPort, (req, res) => handler(req, res)));

    children.push(start('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
    ]));
    children.push(startPrometheus(dir, promPort, ['--rules.alert.resend-delay=1s']));

    stopTraffic = browserTraffic(api, FRONTEND, agent);
  });

  afterAll(async () => {
    stopTraffic?.();
    await stopAll(children);
    agent.destroy();
    await Promise.all(servers.map(closeServer));
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (expr: string) => promQuery(prom, expr);

  it('stays quiet on normal traffic, then pages on-call when a deploy drops a real frontend', async () => {
    const started = Date.now();
    // Normal traffic: wait until the rules see it (the per-origin rate exists) and every alert has had
    // several evaluations with its `for:` of 1-2 s.
    const allowed = `job_origin_outcome:cors_requests:rate10s{job="cors-e2e", origin="${FRONTEND}", outcome="allowed"}`;
    await waitFor(async () => (await query(`${allowed} > 5`)).length === 1, 30_000, 'the recorded per-origin rate of normal traffic');
    await sleep(5_000);
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string }> }> } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(all.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
    expect(received).toEqual([]);

    // The deploy.
    const deployedAt = Date.now();
    handler = createDemoApp({ policy: POLICY_AFTER, logger: false }).app;
    const page = await waitFor(
      async () => received.find((r) => r.path === '/alerts' && r.body.alerts.some((a) => a.status === 'firing' && a.labels.alertname === 'CorsAllowedOriginNowRejected')),
      30_000,
      'the page at the on-call webhook',
    );
    const alert = page.body.alerts.find((a) => a.labels.alertname === 'CorsAllowedOriginNowRejected');
    expect(alert?.labels).toMatchObject({ severity: 'critical', job: 'cors-e2e', origin: FRONTEND });
    // Only critical alerts reach the on-call webhook; warnings go to the default one.
    for (const r of received.filter((x) => x.path === '/alerts')) for (const a of r.body.alerts) expect(a.labels.severity).toBe('critical');
    for (const r of received.filter((x) => x.path === '/default')) for (const a of r.body.alerts) expect(a.labels.severity).toBe('warning');
    console.log(`e2e: page ${((page.at - deployedAt) / 1000).toFixed(1)} s after the deploy, ${((page.at - started) / 1000).toFixed(1)} s after start`);
  });

  it('inhibits info alerts while a warning fires for the same job', async () => {
    const labels = (severity: string, alertname: string) => ({ labels: { alertname, severity, job: 'inhibit-check', mixin: 'cors-sentinel' } });
    const res = await fetch(`${am}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([labels('warning', 'CorsRejectedRatioHigh'), labels('info', 'CorsNewOriginObserved'), { labels: { alertname: 'CorsNewOriginObserved', severity: 'info', job: 'other', mixin: 'cors-sentinel' } }]),
    });
    expect(res.status).toBe(200);
    const states = await waitFor(async () => {
      const list = (await (await fetch(`${am}/api/v2/alerts?filter=alertname="CorsNewOriginObserved"`)).json()) as Array<{ labels: Record<string, string>; status: { state: string } }>;
      return list.length === 2 ? Object.fromEntries(list.map((a) => [a.labels.job, a.status.state])) : undefined;
    }, 10_000, 'the synthetic alerts in Alertmanager');
    expect(states).toEqual({ 'inhibit-check': 'suppressed', other: 'active' });
  });
});
