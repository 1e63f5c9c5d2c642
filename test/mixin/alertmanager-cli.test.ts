/**
 * The on-call route (checked by amtool) and the `cors-sentinel mixin` command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySet, main } from '../../packages/cli/src/mixin/cli';
import { resolveMixinConfig } from '../../packages/cli/src/mixin/config';
import { parse, stringify } from 'yaml';
import { MIXIN_MATCHER, RECEIVERS, type alertmanagerFragment } from '../../packages/cli/src/mixin/deploy';
import { ALERTMANAGER_ROUTE_FILE, ALERTS_FILE, generateAlertmanager, generateAlertmanagerRoute, generateRules, regenerateCommand, RULES_FILE } from '../../packages/cli/src/mixin/generate';
import { describeWithTools, run } from './tools';

const ROOT = join(__dirname, '..', '..');
const COMMITTED = join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

/** A team's existing Alertmanager config, with a page for every critical alert of its own. */
function existingTree(fragment: ReturnType<typeof alertmanagerFragment>): Record<string, unknown> {
  return {
    route: {
      receiver: 'team-default',
      group_by: ['alertname'],
      // The documented nesting: the CORS sub-route first, then the team's own severity routes.
      routes: [fragment.route, { receiver: 'team-pager', matchers: ['severity="critical"'] }],
    },
    receivers: [{ name: 'team-default' }, { name: 'team-pager' }, ...fragment.receivers],
    inhibit_rules: fragment.inhibit_rules,
  };
}

describeWithTools('amtool')('Alertmanager route (amtool)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-am-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const routeOf = (file: string, ...labels: string[]) => run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, ...labels]).stdout.trim();

  it('passes amtool check-config (the demo stack config)', () => {
    const r = run('amtool', ['check-config', COMMITTED]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.each([
    ['critical', RECEIVERS.oncall],
    ['warning', RECEIVERS.default],
    ['info', RECEIVERS.none],
  ])('routes the mixin\'s severity=%s alerts to %s', (severity, receiver) => {
    expect(routeOf(COMMITTED, MIXIN_MATCHER, `severity=${severity}`, 'alertname=CorsTest', 'job=api')).toBe(receiver);
  });

  it('nests into an existing routing tree: a foreign critical alert still reaches its own pager, never the CORS receiver', () => {
    const file = join(dir, 'nested.yml');
    const fragment = parse(generateAlertmanagerRoute(resolveMixinConfig({}))) as ReturnType<typeof alertmanagerFragment>;
    writeFileSync(file, stringify(existingTree(fragment)));
    expect(run('amtool', ['check-config', file]).status).toBe(0);
    expect(routeOf(file, 'alertname=DiskFull', 'severity=critical', 'job=node')).toBe('team-pager');
    expect(routeOf(file, 'alertname=CorsLikeName', 'severity=critical', 'job=api')).toBe('team-pager');
    const foreign = run('amtool', ['config', 'routes', 'test', `--config.file=${file}`, `--verify.receivers=${RECEIVERS.oncall}`, 'alertname=DiskFull', 'severity=critical']);
    expect(foreign.status).not.toBe(0);
    expect(routeOf(file, MIXIN_MATCHER, 'alertname=CorsAllowedOriginNowRejected', 'severity=critical', 'job=api')).toBe(RECEIVERS.oncall);
    expect(routeOf(file, MIXIN_MATCHER, 'alertname=CorsOriginProbing', 'severity=warning', 'job=api')).toBe(RECEIVERS.default);
    expect(routeOf(file, 'alertname=DiskAlmostFull', 'severity=warning')).toBe('team-default');
  });

  it('keeps the demo config\'s foreign alerts away from on-call, and its docker host names in the demo only', () => {
    expect(routeOf(COMMITTED, 'alertname=DiskFull', 'severity=critical')).toBe(RECEIVERS.none);
    expect(readFileSync(COMMITTED, 'utf8')).toContain('url: http://oncall-webhook:9099/alerts');
    const fragment = generateAlertmanagerRoute(resolveMixinConfig({ alertmanager: { oncallWebhookUrl: 'https://pager.example/hook' } }));
    expect(fragment).toContain('url: https://pager.example/hook');
  });

  it('checks a loopback variant generated for a native stack', () => {
    const file = join(dir, 'alertmanager.yml');
    const config = resolveMixinConfig({ alertmanager: { oncallWebhookUrl: 'http://127.0.0.1:9099/alerts', groupWait: '1s' } });
    writeFileSync(file, generateAlertmanager(config));
    expect(run('amtool', ['check-config', file]).status).toBe(0);
  });
});

describe('cors-sentinel mixin', () => {
  let dir: string;
  let log: jest.SpyInstance;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-cli-'));
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    log.mockRestore();
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes rules, alerts and dashboards for a user selector and thresholds, identical to the generators', async () => {
    const args = ['--selector', 'job="checkout-api"', '--set', 'thresholds.rejectedRatio=0.3', '--set', 'for.CorsRejectedRatioHigh=5m', '--out', dir];
    await main(args);
    const config = resolveMixinConfig({ selector: 'job="checkout-api"', thresholds: { rejectedRatio: 0.3 }, for: { CorsRejectedRatioHigh: '5m' } });
    const expected = generateRules(config, 'prometheus', regenerateCommand(args));
    expect(readFileSync(join(dir, RULES_FILE), 'utf8')).toBe(expected[RULES_FILE]);
    const alerts = readFileSync(join(dir, ALERTS_FILE), 'utf8');
    expect(alerts).toBe(expected[ALERTS_FILE]);
    expect(alerts).toContain('job:cors_requests_rejected:ratio_rate5m > 0.3');
    expect(alerts).toContain('cors_config_info{job="checkout-api"}');
    expect(existsSync(join(dir, ALERTMANAGER_ROUTE_FILE))).toBe(false);
    const overview = readFileSync(join(dir, 'dashboards', 'cors-overview.json'), 'utf8');
    expect(overview).toContain('cors_requests_total{job=\\"checkout-api\\"');
    expect(overview).not.toContain('job=\\"api\\"');
  });

  it('writes the full command into every header, and `--check` from that command finds no drift (the defaults would)', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const out = join(dir, 'my monitoring');
      await main(['--selector', 'job="checkout-api"', '--set', "labels.team=it's-us", '--alertmanager', '--no-dashboards', '--out', out]);
      const header = readFileSync(join(out, ALERTS_FILE), 'utf8').split('\n')[2] as string;
      expect(header).toBe(`# npx @cors-sentinel/cli mixin --selector 'job="checkout-api"' --set 'labels.team=it'\\''s-us' --alertmanager --no-dashboards --out '${out}'.`);
      for (const file of [RULES_FILE, ALERTMANAGER_ROUTE_FILE]) expect(readFileSync(join(out, file), 'utf8')).toContain(header);
      // The command as a shell would split it.
      const words = [...header.slice('# npx @cors-sentinel/cli mixin '.length, -1).matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2] as string));
      await main([...words, '--check']);
      expect(process.exitCode).toBeUndefined();
      await main(['--alertmanager', '--no-dashboards', '--out', out, '--check']);
      expect(process.exitCode).toBe(1);
    } finally {
      err.mockRestore();
    }
  });

  it('--no-dashboards writes the rules only', async () => {
    await main(['--no-dashboards', '--out', dir]);
    expect(existsSync(join(dir, RULES_FILE))).toBe(true);
    expect(existsSync(join(dir, 'dashboards'))).toBe(false);
  });

  it('writes the Alertmanager sub-route with the given webhooks, from a JSON config file', async () => {
    const configFile = join(dir, 'mixin.json');
    writeFileSync(configFile, JSON.stringify({ prefix: 'shop_cors_', alertmanager: { groupWait: '30s' } }));
    await main(['--config', configFile, '--alertmanager', '--oncall-webhook', 'https://pager.example/hook', '--out', dir]);
    const am = readFileSync(join(dir, ALERTMANAGER_ROUTE_FILE), 'utf8');
    expect(am).toContain(`- ${MIXIN_MATCHER}`);
    expect(am).toContain('url: https://pager.example/hook');
    expect(am).toContain('group_wait: 30s');
    expect(readFileSync(join(dir, ALERTS_FILE), 'utf8')).toContain('shop_cors_config_info');
  });

  it('--check reports drift without writing', async () => {
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await main(['--out', dir, '--check']);
      expect(process.exitCode).toBe(1);
      expect(existsSync(join(dir, RULES_FILE))).toBe(false);
      process.exitCode = undefined;
      await main(['--out', dir]);
      await main(['--out', dir, '--check']);
      expect(process.exitCode).toBeUndefined();
      await main(['--repo', ROOT, '--check']);
      expect(process.exitCode).toBeUndefined();
    } finally {
      err.mockRestore();
    }
  });

  it('refuses an invalid selector and a malformed --set', async () => {
    await expect(main(['--selector', 'job="api"}', '--out', dir])).rejects.toThrow(/selector/);
    expect(() => applySet({}, 'novalue')).toThrow(/PATH=VALUE/);
    expect(() => applySet({}, '__proto__.polluted=1')).toThrow(/invalid path/);
    const target: Record<string, unknown> = {};
    applySet(target, 'thresholds.minRequestRate=0.5');
    applySet(target, 'windows.rate=2m');
    expect(target).toEqual({ thresholds: { minRequestRate: 0.5 }, windows: { rate: '2m' } });
  });
});
