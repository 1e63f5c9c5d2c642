/**
 * The generated rule files: no drift from the generator, lint clean, every alert complete and
 * covered by promtool unit tests (firing and quiet), and the tests themselves sensitive to the rules.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ALERT_NAMES, DEFAULT_MIXIN_CONFIG, resolveMixinConfig, type PartialMixinConfig } from '../../packages/cli/src/mixin/config';
import { ALERTS_FILE, generateRepoFiles, generateRules, RULES_FILE } from '../../packages/cli/src/mixin/generate';
import { alertFor } from '../../packages/cli/src/mixin/alerts/registry';
import { describeWithTools, promtoolTest, run, type RunResult } from './tools';

const ROOT = join(__dirname, '..', '..');
const TESTS_DIR = join(ROOT, 'alerts', 'tests');
const testFiles = () => readdirSync(TESTS_DIR).filter((f) => f.endsWith('.yml')).sort();
/**
 * The scenario files the two "can fail" runs below replay: all but two slow ones (days of 1-minute
 * samples) whose alerts other files fail for too. The assertions still name every alert, so a file cut
 * here that held an alert's only case fails them (baseline-and-new-origins.yml does, so it stays).
 */
const SLOW_SCENARIOS = new Set(['report-only-sources.yml', 'scenarios-scans.yml']);
const mutationFiles = () => testFiles().filter((f) => !SLOW_SCENARIOS.has(f));

interface PromtoolTestFile {
  tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

describe('generated files', () => {
  it('match the generator (run `npm run generate:mixin` after changing src/mixin)', () => {
    for (const [path, expected] of Object.entries(generateRepoFiles())) {
      expect({ path, text: readFileSync(join(ROOT, path), 'utf8') }).toEqual({ path, text: expected });
    }
  });

  it('give every alert a severity, a static summary, a templated description and a runbook anchor that exists', () => {
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    const anchors = new Set([...runbook.matchAll(/^## (\S+)\s*$/gm)].map((m) => (m[1] as string).toLowerCase()));
    const doc = parse(generateRules(DEFAULT_MIXIN_CONFIG)[ALERTS_FILE] as string) as { groups: Array<{ rules: Array<Record<string, any>> }> };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([...ALERT_NAMES]);
    for (const r of rules) {
      expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
      expect(r.annotations.summary).not.toContain('{{');
      expect(r.annotations.description).toMatch(/\{\{ \$(labels|value)/);
      const [base, anchor] = String(r.annotations.runbook_url).split('#');
      expect(base).toBe(DEFAULT_MIXIN_CONFIG.runbookUrl);
      expect(anchors).toContain(anchor);
    }
  });

  it('point runbook links at the repository package.json declares, with PromQL not tied to the demo job', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string }; homepage: string; bugs: { url: string } };
    const repo = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(DEFAULT_MIXIN_CONFIG.runbookUrl.startsWith(`${repo}/`)).toBe(true);
    expect(pkg.homepage.startsWith(repo)).toBe(true);
    expect(pkg.bugs.url).toBe(`${repo}/issues`);
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    expect(runbook).not.toContain('job="api"');
    expect(runbook).toContain('job="$JOB"');
    expect(generateRules(resolveMixinConfig({ runbookUrl: 'https://wiki.example/cors' }))[ALERTS_FILE]).toContain('runbook_url: https://wiki.example/cors#corsallowedoriginnowrejected');
  });

  it('tell users to regenerate with the CLI they have, not with maintainer scripts or src/ paths', () => {
    for (const text of Object.values(generateRules(DEFAULT_MIXIN_CONFIG))) {
      expect(text).toContain('npx @cors-sentinel/cli mixin');
      expect(text).not.toMatch(/npm run|src\//);
    }
  });

  it('have a firing and a quiet promtool case for every alert', () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of testFiles()) {
      const doc = parse(readFileSync(join(TESTS_DIR, file), 'utf8')) as PromtoolTestFile;
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : quiet).add(a.alertname);
      }
    }
    const all = [...ALERT_NAMES].sort();
    expect([...firing].sort()).toEqual(all);
    expect([...quiet].sort()).toEqual(all);
  });

  it('apply a user selector, prefix and aggregation labels to every series read', () => {
    const config = resolveMixinConfig({ selector: 'job="checkout-api", namespace=~"prod|staging"', prefix: 'shop_cors_', aggregationLabels: ['namespace', 'job'] });
    const text = Object.values(generateRules(config)).join('\n');
    expect(text).not.toMatch(/\bcors_requests_total/);
    expect(text).not.toContain('job="api"');
    // Every raw metric selector carries the user's matchers; the prober's `up` carries the probe job's.
    const raw = [...text.matchAll(/\b(shop_cors_[a-z_]+|up)\{([^}]*)\}/g)].filter((m) => m[2] !== config.probeSelector);
    expect(raw.length).toBeGreaterThan(20);
    for (const m of raw) expect(m[2]).toContain('job="checkout-api", namespace=~"prod|staging"');
    expect(text).toContain(`up{${config.probeSelector}}`);
    expect(text).toContain('namespace_job_origin_outcome:shop_cors_requests:rate5m');
    expect(text).toContain('on (namespace, job, origin)');
  });
});

describe('mixin config', () => {
  it('rejects a broken selector, durations, ratios and unknown fields, listing every problem', () => {
    const bad = {
      selector: 'job="api"}',
      windows: { rate: 'five minutes' },
      thresholds: { rejectedRatio: 2, treshold: 1 },
      for: { CorsRejectedRatioHigh: '10' },
      colour: 'red',
    } as unknown as PartialMixinConfig;
    let message = '';
    try {
      resolveMixinConfig(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    for (const problem of ['selector', '"colour"', 'thresholds.treshold', 'windows.rate', 'thresholds.rejectedRatio', 'for.CorsRejectedRatioHigh']) {
      expect(message).toContain(problem);
    }
  });

  it('accepts an empty selector (all targets) and selects without braces', () => {
    const text = Object.values(generateRules(resolveMixinConfig({ selector: '' }))).join('\n');
    expect(text).toContain('absent(cors_config_info)');
    expect(text).not.toContain('{}');
  });
});

describeWithTools('promtool')('promtool', () => {
  // promtool evaluates days of rules in its own clock; on a loaded CI machine that takes a while: one run
  // of every scenario costs ~160 CPU-seconds (about 80 s on two idle CPUs, 6 minutes at a load of 17).
  jest.setTimeout(300_000);
  let dir: string;
  /**
   * The three runs of the scenarios (the committed rules, and the two that must fail), started together
   * in beforeAll and each awaited by the test that judges it: promtoolTest keeps one promtool per CPU
   * busy across all three, where one run after another left a CPU idle while each run's last file ran.
   */
  let committed: Promise<RunResult>;
  let otherJob: Promise<RunResult>;
  let noFor: Promise<RunResult>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-rules-'));
    committed = promtoolTest(TESTS_DIR, testFiles());
    otherJob = promtoolTest(join(layout('other-job', { selector: 'job="other"', probeSelector: 'job="other-probe"' }), 'tests'), mutationFiles());
    noFor = promtoolTest(join(layout('no-for', { for: Object.fromEntries(ALERT_NAMES.map((n) => [n, '0s'])) }), 'tests'), mutationFiles());
  });
  afterAll(async () => {
    // A run no test awaited (a test filtered out with -t) still reads its files: let it finish first.
    await Promise.all([committed, otherJob, noFor]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes rules generated from `config` next to a copy of alerts/tests, as the committed layout. */
  function layout(name: string, config: PartialMixinConfig): string {
    const root = join(dir, name);
    mkdirSync(root, { recursive: true });
    for (const [file, text] of Object.entries(generateRules(resolveMixinConfig(config)))) writeFileSync(join(root, file), text);
    cpSync(TESTS_DIR, join(root, 'tests'), { recursive: true });
    return root;
  }

  it('checks the committed rules lint clean', () => {
    const r = run('promtool', ['check', 'rules', join(ROOT, 'alerts', RULES_FILE), join(ROOT, 'alerts', ALERTS_FILE)]);
    expect(r.output).not.toMatch(/FAILED|WARNING|duplicate/i);
    expect(r.status).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${ALERT_NAMES.length} rules found`);
  });

  it('passes the promtool unit tests in alerts/tests', async () => {
    const r = await committed;
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
    expect(r.output.match(/SUCCESS/g)).toHaveLength(testFiles().length);
  });

  it('checks rules regenerated for another selector, prefix and labels', () => {
    const root = layout('custom', { selector: 'job="checkout-api", namespace=~"prod|staging"', prefix: 'shop_cors_', aggregationLabels: ['namespace', 'job'] });
    const r = run('promtool', ['check', 'rules', RULES_FILE, ALERTS_FILE], root);
    expect(r.output).not.toMatch(/FAILED|WARNING/);
    expect(r.status).toBe(0);
  });

  // The unit tests must be able to fail: rules that read another job break every firing case, and
  // rules without `for:` break every "not before for" case.
  it('fails the unit tests when the rules stop matching the traffic', async () => {
    const r = await otherJob;
    expect(r.status).not.toBe(0);
    for (const name of ALERT_NAMES.filter((n) => n !== 'CorsExporterAbsent')) expect(r.output).toContain(`alertname: ${name},`);
  });

  it('fails the unit tests when alerts lose their `for:`', async () => {
    const r = await noFor;
    expect(r.status).not.toBe(0);
    const delayed = ALERT_NAMES.filter((n) => alertFor(DEFAULT_MIXIN_CONFIG, n) !== '0s');
    for (const name of delayed) expect(r.output).toContain(`alertname: ${name},`);
  });
});
