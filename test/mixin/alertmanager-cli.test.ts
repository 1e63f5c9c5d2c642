/**
 * The on-call route (checked by amtool) and the `cors-sentinel mixin` command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySet, main } from '../../src/mixin/cli';
import { resolveMixinConfig } from '../../src/mixin/config';
import { RECEIVERS } from '../../src/mixin/deploy';
import { ALERTS_FILE, generateAlertmanager, generateRules, RULES_FILE } from '../../src/mixin/generate';
import { describeWithTools, run } from './tools';

const ROOT = join(__dirname, '..', '..');
const COMMITTED = join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

describeWithTools('amtool')('Alertmanager route (amtool)', () => {
  it('passes amtool check-config', () => {
    const r = run('amtool', ['check-config', COMMITTED]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it.each([
    ['critical', RECEIVERS.oncall],
    ['warning', RECEIVERS.default],
    ['info', RECEIVERS.none],
  ])('routes severity=%s to %s', (severity, receiver) => {
    const r = run('amtool', ['config', 'routes', 'test', `--config.file=${COMMITTED}`, `--verify.receivers=${receiver}`, `severity=${severity}`, 'alertname=CorsTest', 'job=api']);
    expect(r.stdout.trim()).toBe(receiver);
    expect(r.status).toBe(0);
  });

  it('never pages on-call for a warning, and gives info no webhook', () => {
    const r = run('amtool', ['config', 'routes', 'test', `--config.file=${COMMITTED}`, '--verify.receivers=oncall', 'severity=warning']);
    expect(r.status).not.toBe(0);
    const text = readFileSync(COMMITTED, 'utf8');
    expect(text).toContain('url: http://oncall-webhook:9099/alerts');
    expect(text).toMatch(/- name: blackhole\s*$/);
  });

  it('checks a loopback variant generated for a native stack', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-mixin-am-'));
    try {
      const file = join(dir, 'alertmanager.yml');
      const config = resolveMixinConfig({ alertmanager: { oncallWebhookUrl: 'http://127.0.0.1:9099/alerts', groupWait: '1s' } });
      writeFileSync(file, generateAlertmanager(config));
      const r = run('amtool', ['check-config', file]);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

  it('writes rules for a user selector and thresholds, identical to generateRules()', async () => {
    await main(['--selector', 'job="checkout-api"', '--set', 'thresholds.rejectedRatio=0.3', '--set', 'for.CorsRejectedRatioHigh=5m', '--out', dir]);
    const expected = generateRules(resolveMixinConfig({ selector: 'job="checkout-api"', thresholds: { rejectedRatio: 0.3 }, for: { CorsRejectedRatioHigh: '5m' } }));
    expect(readFileSync(join(dir, RULES_FILE), 'utf8')).toBe(expected[RULES_FILE]);
    const alerts = readFileSync(join(dir, ALERTS_FILE), 'utf8');
    expect(alerts).toBe(expected[ALERTS_FILE]);
    expect(alerts).toContain('job:cors_requests_rejected:ratio_rate5m > 0.3');
    expect(alerts).toContain('cors_config_info{job="checkout-api"}');
    expect(existsSync(join(dir, 'alertmanager.yml'))).toBe(false);
  });

  it('writes the Alertmanager route with the given webhooks, from a JSON config file', async () => {
    const configFile = join(dir, 'mixin.json');
    writeFileSync(configFile, JSON.stringify({ prefix: 'shop_cors_', alertmanager: { groupWait: '30s' } }));
    await main(['--config', configFile, '--alertmanager', '--oncall-webhook', 'https://pager.example/hook', '--out', dir]);
    const am = readFileSync(join(dir, 'alertmanager.yml'), 'utf8');
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
