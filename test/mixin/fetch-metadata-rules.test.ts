/**
 * The cross-origin request protection rules (their own rule file): generated without drift, complete
 * annotations with runbook sections, and promtool tests that pass and can fail.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_MIXIN_CONFIG, resolveMixinConfig } from '../../src/mixin/config';
import { DEFAULT_FETCH_METADATA_ALERTS, FETCH_METADATA_ALERT_NAMES, FETCH_METADATA_RULES_FILE, fetchMetadataRuleGroups, type FetchMetadataAlertSettings } from '../../src/mixin/fetch-metadata-alerts';
import { generateRules, toYaml } from '../../src/mixin/generate';
import { describeWithTools, promtoolTest, run } from './tools';

const ROOT = join(__dirname, '..', '..');
const TEST_FILE = 'fetch-metadata.yml';

describe('fetch-metadata rules', () => {
  it('are one of the generated rule files, each alert with severity, static summary, templated description and a runbook section', () => {
    const text = generateRules(DEFAULT_MIXIN_CONFIG)[FETCH_METADATA_RULES_FILE] as string;
    expect(readFileSync(join(ROOT, 'alerts', FETCH_METADATA_RULES_FILE), 'utf8')).toBe(text);
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^## (\S+)\s*$/gm)].map((m) => (m[1] as string).toLowerCase()));
    const rules = (parse(text) as { groups: Array<{ rules: Array<Record<string, any>> }> }).groups.flatMap((g) => g.rules).filter((r) => r.alert);
    expect(rules.map((r) => r.alert)).toEqual([...FETCH_METADATA_ALERT_NAMES]);
    for (const r of rules) {
      expect(r.annotations.summary).not.toContain('{{');
      expect(r.annotations.description).toMatch(/\{\{ \$(labels|value)/);
      expect(anchors).toContain(String(r.annotations.runbook_url).split('#')[1]);
    }
  });

  it('apply a user selector, prefix and aggregation labels', () => {
    const c = resolveMixinConfig({ selector: 'job="shop"', prefix: 'shop_cors_', aggregationLabels: ['namespace', 'job'] });
    const text = JSON.stringify(fetchMetadataRuleGroups(c));
    expect(text).not.toMatch(/\bcors_cross_origin/);
    expect(text).toContain('namespace_job_route_site_decision:shop_cors_cross_origin_requests:rate5m');
    for (const m of text.matchAll(/\b(shop_cors_[a-z_]+|up)\{([^}]*)\}/g)) expect(m[2]).toContain('job=\\"shop\\"');
  });
});

describeWithTools('promtool')('fetch-metadata rules under promtool', () => {
  jest.setTimeout(120_000);
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cors-fetchmeta-rules-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function layout(name: string, selector: string, settings: FetchMetadataAlertSettings): string {
    const root = join(dir, name);
    mkdirSync(join(root, 'tests'), { recursive: true });
    const groups = fetchMetadataRuleGroups(resolveMixinConfig({ selector }), settings);
    writeFileSync(join(root, FETCH_METADATA_RULES_FILE), toYaml({ groups }, 'test'));
    copyFileSync(join(ROOT, 'alerts', 'tests', TEST_FILE), join(root, 'tests', TEST_FILE));
    return join(root, 'tests');
  }

  it('lint clean and pass alerts/tests/fetch-metadata.yml', async () => {
    const check = run('promtool', ['check', 'rules', join(ROOT, 'alerts', FETCH_METADATA_RULES_FILE)]);
    expect(check.output).not.toMatch(/FAILED|WARNING/);
    expect(check.status).toBe(0);
    const r = await promtoolTest(join(ROOT, 'alerts', 'tests'), [TEST_FILE]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('fail their tests when the rules read another job, or lose their for:', async () => {
    const otherJob = await promtoolTest(layout('other-job', 'job="other"', DEFAULT_FETCH_METADATA_ALERTS), [TEST_FILE]);
    expect(otherJob.status).not.toBe(0);
    for (const name of FETCH_METADATA_ALERT_NAMES) expect(otherJob.output).toContain(`alertname: ${name},`);
    const immediate = { ...DEFAULT_FETCH_METADATA_ALERTS, for: { CorsCrossSiteRequestsOnCredentialedRoute: '0s', CorsCrossOriginBlocksSpiking: '0s' } };
    const noFor = await promtoolTest(layout('no-for', 'job="api"', immediate), [TEST_FILE]);
    expect(noFor.status).not.toBe(0);
    expect(noFor.output).toContain('alertname: CorsCrossOriginBlocksSpiking,');
  });
});
