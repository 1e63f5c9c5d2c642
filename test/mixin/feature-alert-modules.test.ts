/**
 * The cross-origin request protection (Fetch Metadata) and prober alert modules: they are mixin
 * alerts like the others (mixin label, config runbook URL, thresholds from the one config), their
 * recording rule joins the mixin's recording group, and their promtool scenarios can fail.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fetchMetadataAlerts } from '../../packages/cli/src/mixin/alerts/fetch-metadata';
import { probeAlerts } from '../../packages/cli/src/mixin/alerts/probe';
import { ALERT_NAMES, resolveMixinConfig, type PartialMixinConfig } from '../../packages/cli/src/mixin/config';
import { ALERTS_FILE, generateRules, RULES_FILE } from '../../packages/cli/src/mixin/generate';
import { describeWithTools, promtoolTest } from './tools';

const ROOT = join(__dirname, '..', '..');
type Rule = Record<string, any>;

function rulesOf(partial: PartialMixinConfig, file: string): Rule[] {
  const doc = parse(generateRules(resolveMixinConfig(partial))[file] as string) as { groups: Array<{ rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}
const alert = (rules: Rule[], name: string): Rule => rules.find((r) => r.alert === name) as Rule;

describe('feature alert modules (fetch-metadata, probe)', () => {
  const names = [...fetchMetadataAlerts.alerts, ...probeAlerts.alerts].map((a) => a.name);

  it('are registered mixin alerts: mixin label, the config runbook URL and static labels', () => {
    expect(ALERT_NAMES).toEqual(expect.arrayContaining(names));
    const rules = rulesOf({ runbookUrl: 'https://wiki.example/cors', labels: { team: 'web' } }, ALERTS_FILE);
    for (const name of names) {
      const r = alert(rules, name);
      expect(r.labels).toMatchObject({ mixin: 'cors-sentinel', team: 'web' });
      expect(r.annotations.runbook_url).toBe(`https://wiki.example/cors#${name.toLowerCase()}`);
    }
  });

  it('take thresholds, windows, for: and severities from the mixin config', () => {
    const rules = rulesOf(
      {
        thresholds: { crossOriginBlockedRate: 0.7 },
        windows: { crossOriginChange: '3h' },
        for: { CorsProbeFinding: '45m' },
        severities: { CorsCrossOriginBlocksSpiking: 'warning' },
      },
      ALERTS_FILE,
    );
    const spike = alert(rules, 'CorsCrossOriginBlocksSpiking');
    expect(spike.expr).toContain('> 0.7');
    expect(spike.expr).toContain('offset 3h');
    expect(spike.labels.severity).toBe('warning');
    expect(alert(rules, 'CorsProbeFinding').for).toBe('45m');
  });

  it('record the cross-origin rate in the mixin recording group, for the user selector, prefix and labels', () => {
    const c = { selector: 'job="shop"', prefix: 'shop_cors_', aggregationLabels: ['namespace', 'job'] };
    const recorded = 'namespace_job_route_site_decision:shop_cors_cross_origin_requests:rate5m';
    expect(rulesOf(c, RULES_FILE).map((r) => r.record)).toContain(recorded);
    const spike = alert(rulesOf(c, ALERTS_FILE), 'CorsCrossOriginBlocksSpiking');
    expect(spike.expr).toContain(recorded);
    for (const m of String(alert(rulesOf(c, ALERTS_FILE), 'CorsCrossSiteRequestsOnCredentialedRoute').expr).matchAll(/\b(shop_cors_[a-z_]+|up)\{([^}]*)\}/g)) {
      expect(m[2]).toContain('job="shop"');
    }
  });

  it('read the prober series through probeSelector, and reject a missing one', () => {
    const rules = rulesOf({ probeSelector: 'job="probe", env="prod"' }, ALERTS_FILE);
    for (const a of probeAlerts.alerts) {
      const raw = [...String(alert(rules, a.name).expr).matchAll(/\b(cors_probe_[a-z_]+|up)\{([^}]*)\}/g)];
      expect(raw.length).toBeGreaterThan(0);
      for (const m of raw) expect(m[2]).toContain('job="probe", env="prod"');
    }
    expect(() => resolveMixinConfig({ probeSelector: '' })).toThrow(/probeSelector/);
  });
});

describeWithTools('promtool')('feature alert scenarios under promtool', () => {
  jest.setTimeout(120_000);
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cors-feature-rules-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function scenarios(name: string, partial: PartialMixinConfig) {
    const root = join(dir, name);
    mkdirSync(join(root, 'tests'), { recursive: true });
    for (const [file, text] of Object.entries(generateRules(resolveMixinConfig(partial)))) writeFileSync(join(root, file), text);
    for (const f of ['fetch-metadata.yml', 'probe.yml']) cpSync(join(ROOT, 'alerts', 'tests', f), join(root, 'tests', f));
    return promtoolTest(join(root, 'tests'), ['fetch-metadata.yml', 'probe.yml']);
  }

  it('fail when the rules read other jobs, or fire without waiting, or page at another threshold', async () => {
    // The three mutated rule sets run at once (promtoolTest keeps one promtool per CPU busy), each in its own folder.
    const [otherJob, hasty, higher] = await Promise.all([
      scenarios('other-job', { selector: 'job="other"', probeSelector: 'job="other-probe"' }),
      scenarios('no-for', { for: { CorsCrossOriginBlocksSpiking: '0s', CorsProbeFinding: '0s', CorsProbeFailing: '0s' } }),
      scenarios('threshold', { thresholds: { crossOriginBlockedRate: 2 } }),
    ]);
    expect(otherJob.status).not.toBe(0);
    for (const a of [...fetchMetadataAlerts.alerts, ...probeAlerts.alerts]) expect(otherJob.output).toContain(`alertname: ${a.name},`);
    expect(hasty.status).not.toBe(0);
    for (const name of ['CorsCrossOriginBlocksSpiking', 'CorsProbeFinding', 'CorsProbeFailing']) expect(hasty.output).toContain(`alertname: ${name},`);
    expect(higher.status).not.toBe(0);
    expect(higher.output).toContain('alertname: CorsCrossOriginBlocksSpiking,');
  });
});
