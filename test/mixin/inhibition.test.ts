/**
 * One incident, one notification: the generated sub-route (`mixin --alertmanager`) and its inhibit
 * rules, checked by amtool and by a real Alertmanager fed the alerts that an incident raises at once.
 * A flood is one warning (probing); a tenant store outage is one page (CorsOriginStoreDown), not one
 * per rejected tenant plus the warnings.
 */
import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMixinConfig } from '../../packages/cli/src/mixin/config';
import { MIXIN_MATCHER, RECEIVERS } from '../../packages/cli/src/mixin/deploy';
import { generateAlertmanager } from '../../packages/cli/src/mixin/generate';
import { closeServer, sleep, start, stopAll, waitFor, webhook, type Received } from './processes';
import { describeWithTools, freePort, run } from './tools';

const FLOOD = ['CorsOriginProbing', 'CorsOriginLabelGuardNearCap', 'CorsUnknownOriginSpike', 'CorsRejectedRatioHigh'];
const TENANTS = ['https://a.tenant.example', 'https://b.tenant.example', 'https://c.tenant.example'];

interface PostedAlert {
  name: string;
  severity: string;
  labels?: Record<string, string>;
}

/**
 * The incidents, one job each, all posted at once when Alertmanager is ready. The inhibit rules and the
 * notification groups hold within a job (`equal`/`group_by` on the aggregation labels), so incidents of
 * different jobs do not meet, and each test judges its job's notifications while the others' quiet
 * windows run at the same time, instead of one window after another.
 */
const INCIDENTS: Record<string, PostedAlert[]> = {
  // One flood (four warnings at once).
  'flood-api': FLOOD.map((name): PostedAlert => ({ name, severity: 'warning', labels: name === 'CorsOriginLabelGuardNearCap' ? { instance: 'api-1:3000' } : {} })),
  // A flood beyond the label guard, without probing.
  'spike-api': FLOOD.filter((n) => n !== 'CorsOriginProbing').map((name) => ({ name, severity: 'warning' })),
  // A tenant store outage, with the rejections and warnings it causes.
  'store-api': [
    { name: 'CorsOriginStoreDown', severity: 'critical', labels: { store: 'tenants-db' } },
    ...TENANTS.map((origin) => ({ name: 'CorsAllowedOriginNowRejected', severity: 'critical', labels: { origin, request_type: 'actual' } })),
    { name: 'CorsLowTrafficOriginRejected', severity: 'warning', labels: { origin: 'https://d.tenant.example' } },
    { name: 'CorsOriginResolverFailing', severity: 'warning' },
    { name: 'CorsRejectedRatioHigh', severity: 'warning' },
    { name: 'CorsPreflightLatencyHigh', severity: 'warning' },
  ],
  // Another job's page, while store-api's store is down.
  'other-api': [{ name: 'CorsAllowedOriginNowRejected', severity: 'critical', labels: { origin: 'https://app.example.com', request_type: 'actual' } }],
};

describeWithTools('amtool', 'prometheus-alertmanager')('Alertmanager inhibition of the mixin (amtool, real Alertmanager)', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let am: string;
  let hookPort: number;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const received: Received[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-inhibit-'));
    const [amPort, port] = await Promise.all([freePort(), freePort()]);
    hookPort = port;
    am = `http://127.0.0.1:${amPort}`;
    const config = resolveMixinConfig({
      alertmanager: {
        oncallWebhookUrl: `http://127.0.0.1:${hookPort}/alerts`,
        defaultWebhookUrl: `http://127.0.0.1:${hookPort}/default`,
        groupWait: '2s',
        groupInterval: '2s',
        repeatInterval: '1h',
      },
    });
    writeFileSync(join(dir, 'alertmanager.yml'), generateAlertmanager(config));
    servers.push(await webhook(hookPort, received));
    children.push(start('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=',
    ]));
    await waitFor(async () => (await fetch(`${am}/-/ready`)).ok, 60_000, 'Alertmanager ready');
    await Promise.all(Object.entries(INCIDENTS).map(([job, alerts]) => post(job, alerts)));
  });

  afterAll(async () => {
    await stopAll(children);
    await Promise.all(servers.map(closeServer));
    rmSync(dir, { recursive: true, force: true });
  });

  async function post(job: string, alerts: readonly PostedAlert[]): Promise<void> {
    const body = alerts.map((a) => ({
      labels: { alertname: a.name, severity: a.severity, mixin: 'cors-sentinel', job, ...a.labels },
      annotations: { summary: a.name },
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    }));
    const res = await fetch(`${am}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  }

  /**
   * Notifications about `job`, once the first arrived and 8 s (group_wait plus a few group intervals)
   * passed after it. The 8 s count from the first notification's arrival, plus the 250 ms waitFor may
   * take to see it: no shorter than a wait from when it was seen, and the jobs' windows overlap.
   */
  async function notificationsOf(job: string): Promise<Received[]> {
    const of = () => received.filter((r) => r.body.alerts.some((a) => a.labels.job === job));
    await waitFor(async () => of().length > 0, 60_000, `a notification about ${job}`);
    const first = Math.min(...of().map((r) => r.at));
    await sleep(Math.max(0, first + 8_250 - Date.now()));
    return of();
  }

  it('amtool: a store outage pages on-call, the flood alerts notify the default receiver', () => {
    const file = join(dir, 'alertmanager.yml');
    expect(run('amtool', ['check-config', file]).status).toBe(0);
    const routeOf = (...labels: string[]) => run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, MIXIN_MATCHER, ...labels]).stdout.trim();
    expect(routeOf('alertname=CorsOriginStoreDown', 'severity=critical', 'job=api')).toBe(RECEIVERS.oncall);
    for (const name of FLOOD) expect(routeOf(`alertname=${name}`, 'severity=warning', 'job=api')).toBe(RECEIVERS.default);
  });

  it('one flood (four warnings at once) is one notification: probing', async () => {
    const got = await notificationsOf('flood-api');
    expect(got).toHaveLength(1);
    expect(got[0]?.path).toBe('/default');
    expect(got[0]?.body.alerts.map((a) => a.labels.alertname)).toEqual(['CorsOriginProbing']);
  });

  it('without probing, the unknown-origin spike is the one notification of a flood beyond the label guard', async () => {
    const got = await notificationsOf('spike-api');
    expect(got.map((r) => r.body.alerts.map((a) => a.labels.alertname))).toEqual([['CorsUnknownOriginSpike']]);
  });

  it('a tenant store outage is one page that names the store outage, not one per rejected tenant', async () => {
    const got = await notificationsOf('store-api');
    expect(got.map((r) => [r.path, r.body.alerts.map((a) => a.labels.alertname)])).toEqual([['/alerts', ['CorsOriginStoreDown']]]);
    // The page names the store (cors_origin_store_lookups_total{store}).
    expect(got[0]?.body.alerts[0]?.labels.store).toBe('tenants-db');
  });

  it('an unrelated job\'s page is not inhibited by another job\'s store outage', async () => {
    const got = await notificationsOf('other-api');
    expect(got.map((r) => r.body.alerts.map((a) => a.labels.alertname))).toEqual([['CorsAllowedOriginNowRejected']]);
  });
});
