/**
 * `cors-sentinel mixin --format prometheus-operator`: the PrometheusRule, the ServiceMonitor and
 * PodMonitor examples and the dashboard ConfigMaps validate against the resources' schemas, carry
 * the user's selector, and the rules inside are the ones promtool checks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../../packages/cli/src/mixin/cli';
import { resolveMixinConfig } from '../../packages/cli/src/mixin/config';
import { OPERATOR_FILES } from '../../packages/cli/src/mixin/operator';
import { generateRules, ALERTS_FILE, RULES_FILE } from '../../packages/cli/src/mixin/generate';
import { describeWithTools, run } from './tools';

const VALIDATOR = join(__dirname, 'validate-k8s.mjs');

interface Verdict {
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  readonly error: string | null;
}

function validate(files: readonly string[]): Verdict[] {
  const r = spawnSync(process.execPath, [VALIDATOR, ...files], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Verdict);
}

describe('mixin --format prometheus-operator', () => {
  let dir: string;
  let log: jest.SpyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cors-mixin-operator-'));
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await main(['--selector', 'job="checkout-api"', '--format', 'prometheus-operator', '--namespace', 'shop', '--target-namespace', 'checkout', '--resource-label', 'release=kube-prometheus-stack', '--out', dir]);
  });
  afterAll(() => {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });
  const path = (f: string) => join(dir, f);
  const docs = (f: string) => parseAllDocuments(readFileSync(path(f), 'utf8')).map((d) => d.toJS() as Record<string, any>);

  it('writes resources that validate against the CRD and core schemas', () => {
    const verdicts = validate(Object.values(OPERATOR_FILES).map(path));
    expect(verdicts.map((v) => v.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'PodMonitor', 'PrometheusRule', 'ServiceMonitor']);
    for (const v of verdicts) expect(v).toEqual({ ...v, error: null });
  });

  it('has a validator that rejects a broken resource (the check can fail)', () => {
    const broken = path('broken.yaml');
    const [rule] = docs(OPERATOR_FILES.rule);
    rule!.spec.groups[0].rules[0].for = 'ten minutes';
    rule!.spec.groups[0].interval = 'often';
    writeFileSync(broken, JSON.stringify(rule));
    const [verdict] = validate([broken]);
    expect(verdict?.error).toMatch(/interval|for/);
  });

  it('carries the user selector, namespace and labels, and the same rules as the plain files', () => {
    const [rule] = docs(OPERATOR_FILES.rule);
    expect(rule!.metadata).toMatchObject({ namespace: 'shop', labels: { release: 'kube-prometheus-stack' } });
    const plain = generateRules(resolveMixinConfig({ selector: 'job="checkout-api"' }));
    const plainGroups = [RULES_FILE, ALERTS_FILE].flatMap((f) => (parseAllDocuments(plain[f] as string)[0]!.toJS() as { groups: unknown[] }).groups);
    expect(rule!.spec.groups).toEqual(plainGroups);
    const [monitor] = docs(OPERATOR_FILES.podMonitor);
    expect(monitor!.spec.podMetricsEndpoints[0].relabelings).toEqual([{ targetLabel: 'job', replacement: 'checkout-api', action: 'replace' }]);
  });

  it('gives both monitor examples the app\'s namespace and the /metrics bearer token from a Secret (README: /metrics is protected)', () => {
    const [service] = docs(OPERATOR_FILES.serviceMonitor);
    const [pod] = docs(OPERATOR_FILES.podMonitor);
    const authorization = { type: 'Bearer', credentials: { name: 'cors-sentinel-metrics-token', key: 'token' } };
    expect(service!.spec.namespaceSelector).toEqual({ matchNames: ['checkout'] });
    expect(pod!.spec.namespaceSelector).toEqual({ matchNames: ['checkout'] });
    expect(service!.spec.endpoints[0].authorization).toEqual(authorization);
    expect(pod!.spec.podMetricsEndpoints[0].authorization).toEqual(authorization);
    expect(readFileSync(path(OPERATOR_FILES.serviceMonitor), 'utf8')).toContain('kubectl -n shop create secret generic cors-sentinel-metrics-token');
  });

  it('ships each dashboard as a ConfigMap for the Grafana sidecar, querying the user selector', () => {
    for (const cm of docs(OPERATOR_FILES.dashboards)) {
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      const [json] = Object.values(cm.data as Record<string, string>);
      const dashboard = JSON.parse(json as string) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
      const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
      expect(exprs.length).toBeGreaterThan(5);
      expect(exprs.join('\n')).not.toContain('job="api"');
      expect(exprs.some((e) => e.includes('job="checkout-api"'))).toBe(true);
    }
  });
});

describeWithTools('promtool')('mixin --format prometheus-operator (promtool)', () => {
  it('embeds rules that promtool accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-mixin-operator-promtool-'));
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await main(['--format', 'prometheus-operator', '--no-dashboards', '--out', dir]);
      const [rule] = parseAllDocuments(readFileSync(join(dir, OPERATOR_FILES.rule), 'utf8')).map((d) => d.toJS() as { spec: unknown });
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(rule!.spec));
      const r = run('promtool', ['check', 'rules', join(dir, 'rules.json')]);
      expect(r.output).toContain('SUCCESS');
      expect(r.status).toBe(0);
    } finally {
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
