/**
 * `mixin --backend`: the same rules laid out for Prometheus, Mimir, Thanos and vmalert, each checked
 * by the engine's own tool where it is installed (promtool, vmalert -dryRun) and by the engine's limits
 * where it is not (Mimir, Thanos), and the per-cluster alerts run as promtool scenarios on every layout.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { BACKENDS, layoutProblems, splitChained, type Backend } from '../../packages/cli/src/mixin/backends';
import { main } from '../../packages/cli/src/mixin/cli';
import { ALERT_NAMES, resolveMixinConfig, type MixinConfig } from '../../packages/cli/src/mixin/config';
import { ALERTS_FILE, generateRules, regenerateCommand, RULES_FILE } from '../../packages/cli/src/mixin/generate';
import { DEFAULT_DASHBOARDS_CONFIG } from '../../packages/cli/src/mixin/dashboards/config';
import { dashboardsFor } from '../../packages/cli/src/mixin/dashboards/generate';
import { describeWithTools, promtoolTest, run, type RunResult } from './tools';

const ROOT = join(__dirname, '..', '..');
const SCENARIOS = join(__dirname, 'scenarios', 'clusters.yml');
const CLUSTERS: MixinConfig = resolveMixinConfig({ aggregationLabels: ['cluster', 'job'] });

interface RuleFile {
  groups: Array<{ name: string; partial_response_strategy?: string; rules: Array<Record<string, unknown> & { expr: string }> }>;
}

function layout(backend: Backend, config: MixinConfig = CLUSTERS): { rules: RuleFile; alerts: RuleFile } {
  const files = generateRules(config, backend);
  return { rules: parse(files[RULES_FILE] as string) as RuleFile, alerts: parse(files[ALERTS_FILE] as string) as RuleFile };
}

describe('mixin --backend layouts', () => {
  it.each(BACKENDS)('%s: keeps every rule, in groups within the engine limits', (backend) => {
    const { rules, alerts } = layout(backend);
    const prometheus = layout('prometheus');
    const names = (f: RuleFile) => f.groups.flatMap((g) => g.rules.map((r) => String(r.record ?? r.alert))).sort();
    expect(names(rules)).toEqual(names(prometheus.rules));
    expect(names(alerts)).toEqual([...ALERT_NAMES].sort());
    expect(layoutProblems(backend, [...rules.groups, ...alerts.groups])).toEqual([]);
  });

  it.each(BACKENDS)('%s: every rule is the prometheus layout\'s, except the alerts vmalert holds without keep_firing_for', (backend) => {
    const rules = (f: { rules: RuleFile; alerts: RuleFile }) => [...f.rules.groups, ...f.alerts.groups].flatMap((g) => g.rules).map((r) => JSON.stringify(r));
    const prometheus = rules(layout('prometheus'));
    const mine = rules(layout(backend));
    // Mimir and Thanos keep the order too; vmalert moves chained recording rules to later groups (checked below).
    if (backend !== 'vmalert') return expect(mine).toEqual(prometheus);
    const only = (a: string[], b: string[]) => a.filter((r) => !b.includes(r)).map((r) => (JSON.parse(r) as { alert?: string }).alert);
    const held = ALERT_NAMES.filter((n) => prometheus.some((r) => r.includes(`"alert":"${n}"`) && r.includes('"keep_firing_for"')));
    expect(held.length).toBeGreaterThanOrEqual(2);
    expect([only(prometheus, mine), only(mine, prometheus), mine.length]).toEqual([held, held, prometheus.length]);
  });

  it('finds what the prometheus layout breaks on the other engines (the checks can fail)', () => {
    const { rules, alerts } = layout('prometheus');
    const all = [...rules.groups, ...alerts.groups];
    expect(layoutProblems('mimir', all)).toEqual(expect.arrayContaining([expect.stringMatching(/^group cors-sentinel.recording has \d+ rules \(limit 20\)$/)]));
    expect(layoutProblems('thanos', all)).toContain('group cors-sentinel.alerts has no partial_response_strategy: abort');
    const vm = layoutProblems('vmalert', all);
    expect(vm).toContain('cors-sentinel.alerts/CorsOriginProbing: keep_firing_for is not supported');
    expect(vm.some((p) => p.startsWith('cors-sentinel.recording: a rule reads'))).toBe(true);
  });

  it('vmalert: holds the probing alert for keep_firing_for instead, and splits chained recording rules by level', () => {
    const probing = layout('vmalert').alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === 'CorsOriginProbing');
    expect(probing?.keep_firing_for).toBeUndefined();
    expect(probing?.expr).toMatch(/^\(\n[\s\S]+\n\)\nor last_over_time\(\(\n[\s\S]+\n\)\[15m:1m\]\)$/);
    const split = splitChained({ name: 'g', rules: [{ record: 'a', expr: 'x' }, { record: 'b', expr: 'a / x' }, { record: 'ab', expr: 'sum(b)' }, { record: 'c', expr: 'ab_total' }] });
    expect(split.map((g) => [g.name, g.rules.map((r) => ('record' in r ? r.record : ''))])).toEqual([['g', ['a', 'c']], ['g.2', ['b']], ['g.3', ['ab']]]);
  });

  it('thanos: aborts every group on a partial answer', () => {
    const { rules, alerts } = layout('thanos');
    for (const g of [...rules.groups, ...alerts.groups]) expect([g.name, g.partial_response_strategy]).toEqual([g.name, 'abort']);
  });

  it('keeps the cluster label in every aggregation and match of the rules when clusters are configured', () => {
    for (const backend of BACKENDS) {
      const { rules, alerts } = layout(backend);
      const exprs = [...rules.groups, ...alerts.groups].flatMap((g) => g.rules.map((r) => r.expr));
      const clauses = exprs.flatMap((e) => [...e.matchAll(/\b(by|on|ignoring) \(([^)]*)\)/g)]);
      expect(clauses.length).toBeGreaterThan(50);
      // `on ()` only where one side has no labels at all (absent()'s guard, the probe's own `up`).
      const lost = clauses.filter((m) => m[1] !== 'ignoring' && m[2] !== '' && !(m[2] as string).split(/,\s*/).includes('cluster'));
      expect(lost.map((m) => m[0])).toEqual([]);
    }
  });
});

describe('cors-sentinel mixin --backend', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-backend-cli-'));
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the layout of the named engine from a config file', async () => {
    const configFile = join(dir, 'mixin.json');
    writeFileSync(configFile, JSON.stringify({ aggregationLabels: ['cluster', 'job'] }));
    const args = ['--config', configFile, '--backend', 'mimir', '--no-dashboards', '--out', dir];
    await main(args);
    const expected = generateRules(CLUSTERS, 'mimir', regenerateCommand(args));
    for (const file of [RULES_FILE, ALERTS_FILE]) expect(readFileSync(join(dir, file), 'utf8')).toBe(expected[file]);
    expect(expected[RULES_FILE]).toContain('Laid out for the mimir ruler.');
  });

  it('refuses an unknown engine, and engines the operator format or --repo do not serve, writing nothing', async () => {
    await expect(main(['--backend', 'cortex', '--out', dir])).rejects.toThrow('--backend must be one of prometheus, mimir, thanos, vmalert, got "cortex"');
    await expect(main(['--backend', 'thanos', '--format', 'prometheus-operator', '--out', dir])).rejects.toThrow('--backend prometheus');
    await expect(main(['--backend', 'vmalert', '--repo', dir])).rejects.toThrow('--repo');
    expect(existsSync(join(dir, RULES_FILE))).toBe(false);
  });
});

interface DashboardJson {
  uid: string;
  title: string;
  tags: string[];
  links: Array<{ title: string; tags?: string[] }>;
  templating: { list: Array<{ name: string; type: string; query?: unknown; hide?: number }> };
}

describe('dashboards of several mixin configs', () => {
  const load = (config: MixinConfig) => Object.values(dashboardsFor(config)).map((text) => JSON.parse(text) as DashboardJson);

  it('keep the committed uids for the default config, and derive others from the selector so that sets do not collide', () => {
    expect(load(resolveMixinConfig({})).map((d) => d.uid).sort()).toEqual(Object.values(DEFAULT_DASHBOARDS_CONFIG.uids).sort());
    const east = load(resolveMixinConfig({ selector: 'job="api", region="east"' }));
    const west = load(resolveMixinConfig({ selector: 'job="api", region="west"' }));
    const uids = [...east, ...west, ...load(resolveMixinConfig({}))].map((d) => d.uid);
    expect(new Set(uids).size).toBe(6);
    for (const d of [...east, ...west]) expect(d.uid.length).toBeLessThanOrEqual(40); // Grafana's uid limit
    expect(new Set([...east, ...west].map((d) => d.title)).size).toBe(4);
    expect(load(resolveMixinConfig({ selector: 'job="api", region="east"' })).map((d) => d.uid)).toEqual(east.map((d) => d.uid));
    // Each set's "CORS dashboards" links follow a tag only its own dashboards carry.
    for (const d of east) expect(d.links.find((l) => l.title === 'CORS dashboards')?.tags).toEqual([east[0]?.tags[0]]);
    expect(west[0]?.tags).not.toContain(east[0]?.tags[0]);
  });

  it('get a visible $cluster variable, filtering every query, when cluster is an aggregation label, and none without one', () => {
    const [overview] = load(CLUSTERS);
    const cluster = overview?.templating.list.find((v) => v.name === 'cluster');
    expect(cluster).toMatchObject({ type: 'query' });
    expect(cluster?.hide ?? 0).toBe(0);
    // Panels and annotations; the variables' own queries narrow level by level.
    const text = JSON.stringify({ ...overview, templating: undefined });
    const selectors = [...text.matchAll(/cors_[a-z_]+\{([^}]*)\}/g)].map((m) => m[1] as string);
    expect(selectors.length).toBeGreaterThan(20);
    expect(selectors.filter((m) => !m.includes('cluster=~\\"$cluster\\"'))).toEqual([]);
    const [single] = load(resolveMixinConfig({}));
    expect(single?.templating.list.map((v) => v.name)).not.toContain('cluster');
  });
});

describeWithTools('promtool', 'vmalert')('mixin --backend checked by the engines\' tools', () => {
  jest.setTimeout(180_000);
  let dir: string;
  /** Each backend's layout for CLUSTERS, written once: the promtool runs below read it while other tests run. */
  const layouts = new Map<Backend, { root: string; order: string[] }>();
  /**
   * The per-cluster scenarios on each layout, and on rules that aggregate the clusters away: started
   * together in beforeAll, each awaited by the test that judges it (promtoolTest runs one promtool per
   * CPU), where one single-file run after another left a CPU idle.
   */
  const clusterRuns = new Map<Backend, Promise<RunResult>>();
  let flatRun: Promise<RunResult>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-backends-'));
    for (const backend of BACKENDS) {
      const written = write(backend);
      layouts.set(backend, written);
      clusterRuns.set(backend, promtoolTest(written.root, scenarios(join(written.root, 'clusters'), [SCENARIOS], written.order, written.root)));
    }
    const flat = write('prometheus', resolveMixinConfig({ aggregationLabels: ['job'] }));
    flatRun = promtoolTest(flat.root, scenarios(join(flat.root, 'clusters'), [SCENARIOS], flat.order, flat.root));
  });
  afterAll(async () => {
    // Runs no test awaited (tests filtered out with -t) still read their files: let them finish first.
    await Promise.all([...clusterRuns.values(), flatRun]);
    rmSync(dir, { recursive: true, force: true });
  });
  const layoutOf = (backend: Backend): { root: string; order: string[] } => layouts.get(backend) as { root: string; order: string[] };

  /** Writes `backend`'s layout (Thanos' own field removed for promtool, which does not know it). */
  function write(backend: Backend, config: MixinConfig = CLUSTERS): { root: string; order: string[] } {
    const root = join(dir, `${backend}-${config.aggregationLabels.join('-')}`);
    mkdirSync(root, { recursive: true });
    const order: string[] = [];
    for (const [file, text] of Object.entries(generateRules(config, backend))) {
      const doc = parse(text) as RuleFile;
      for (const g of doc.groups) {
        order.push(g.name);
        delete g.partial_response_strategy;
      }
      writeFileSync(join(root, file), stringify(doc, { lineWidth: 0 }));
    }
    return { root, order };
  }

  /** Scenario files with `group_eval_order` set to the layout's groups, as Prometheus would order them. */
  function scenarios(target: string, sources: readonly string[], order: readonly string[], rulesDir: string): string[] {
    mkdirSync(target, { recursive: true });
    return sources.map((source) => {
      const doc = parse(readFileSync(source, 'utf8')) as { rule_files: string[]; group_eval_order?: string[] };
      doc.rule_files = [join(rulesDir, RULES_FILE), join(rulesDir, ALERTS_FILE)];
      doc.group_eval_order = [...order];
      const file = join(target, source.split('/').pop() as string);
      writeFileSync(file, stringify(doc, { lineWidth: 0 }));
      return file;
    });
  }

  it.each(BACKENDS)('%s: promtool check rules passes on the layout', (backend) => {
    const { root } = layoutOf(backend);
    const r = run('promtool', ['check', 'rules', RULES_FILE, ALERTS_FILE], root);
    expect(r.output).not.toMatch(/FAILED|WARNING|duplicate/i);
    expect(r.status).toBe(0);
  });

  it('vmalert -dryRun accepts the vmalert layout and refuses the prometheus one (keep_firing_for)', () => {
    const vm = layoutOf('vmalert').root;
    const ok = run('vmalert', ['-dryRun', `-rule=${join(vm, RULES_FILE)}`, `-rule=${join(vm, ALERTS_FILE)}`]);
    expect(ok.output).not.toMatch(/\bfatal\b|error/i);
    expect(ok.status).toBe(0);
    const refused = run('vmalert', ['-dryRun', `-rule=${join(ROOT, 'alerts', RULES_FILE)}`, `-rule=${join(ROOT, 'alerts', ALERTS_FILE)}`]);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('keep_firing_for');
  });

  it.each(BACKENDS)('%s: the per-cluster exporter-absent and target-down scenarios pass', async (backend) => {
    const r = await (clusterRuns.get(backend) as Promise<RunResult>);
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  /**
   * The incident scenarios (`alerts/tests/`) that judge an alert whose expression the vmalert layout
   * rewrites (keep_firing_for held by last_over_time), written against `layoutRoot`. Only those: every
   * other rule is the prometheus layout's, expression for expression (checked above), so rules.test.ts's
   * run of every scenario speaks for it, and a full second run costs minutes of CI.
   */
  function rewrittenScenarios(target: string, layoutRoot: string, order: readonly string[]): string[] {
    const vm = layout('vmalert', resolveMixinConfig({}));
    const prometheus = layout('prometheus', resolveMixinConfig({}));
    const exprOf = (f: { alerts: RuleFile }) => new Map(f.alerts.groups.flatMap((g) => g.rules.map((r) => [String(r.alert), r.expr] as const)));
    const before = exprOf(prometheus);
    const rewritten = new Set([...exprOf(vm)].filter(([name, expr]) => before.get(name) !== expr).map(([name]) => name));
    expect([...rewritten].sort()).toEqual(ALERT_NAMES.filter((n) => /keep_firing_for/.test(JSON.stringify(prometheus.alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === n)))).sort());
    mkdirSync(target, { recursive: true });
    const tests = join(ROOT, 'alerts', 'tests');
    return readdirSync(tests).filter((f) => f.endsWith('.yml')).flatMap((file) => {
      const doc = parse(readFileSync(join(tests, file), 'utf8')) as { rule_files: string[]; group_eval_order?: string[]; tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }> };
      doc.tests = doc.tests.filter((t) => (t.alert_rule_test ?? []).some((a) => rewritten.has(a.alertname)));
      if (doc.tests.length === 0) return [];
      doc.rule_files = [join(layoutRoot, RULES_FILE), join(layoutRoot, ALERTS_FILE)];
      doc.group_eval_order = [...order];
      writeFileSync(join(target, file), stringify(doc, { lineWidth: 0 }));
      return [join(target, file)];
    });
  }

  it('vmalert: the incident scenarios of the alerts it rewrites pass, and fail with keep_firing_for dropped instead', async () => {
    const vm = write('vmalert', resolveMixinConfig({}));
    const files = rewrittenScenarios(join(vm.root, 'tests'), vm.root, vm.order);
    expect(files.length).toBeGreaterThanOrEqual(2);
    // The control: the prometheus layout without keep_firing_for (what vmalert would evaluate had the field just been removed).
    const dropped = join(dir, 'vmalert-dropped-hold');
    mkdirSync(dropped, { recursive: true });
    const order: string[] = [];
    for (const [file, text] of Object.entries(generateRules(resolveMixinConfig({})))) {
      const doc = parse(text) as RuleFile;
      for (const g of doc.groups) {
        order.push(g.name);
        for (const r of g.rules) delete r.keep_firing_for;
      }
      writeFileSync(join(dropped, file), stringify(doc, { lineWidth: 0 }));
    }
    const [held, unheld] = await Promise.all([promtoolTest(vm.root, files), promtoolTest(dropped, rewrittenScenarios(join(dropped, 'tests'), dropped, order))]);
    expect(held.output).not.toContain('FAILED');
    expect(held.status).toBe(0);
    expect(held.output.match(/SUCCESS/g)).toHaveLength(files.length);
    expect(unheld.status).not.toBe(0);
    expect(unheld.output).toContain('alertname: CorsOriginProbing,');
    expect(unheld.output).toContain('alertname: CorsDnsRebindingAttempt,');
  });

  it('the scenarios fail on rules that aggregate the clusters away', async () => {
    const r = await flatRun;
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('alertname: CorsExporterAbsent,');
  });
});
