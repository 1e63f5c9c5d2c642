/**
 * The committed dashboards and Grafana provisioning files are exactly what the generator produces
 * from the mixin config (drift check), and every dashboard keeps the conventions: units,
 * descriptions, `$__rate_interval`, unique ids, the datasource variable everywhere, the selector on
 * every raw series, the variables, the firing-alerts annotation and the runbook links.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ALERT_NAMES, DEFAULT_MIXIN_CONFIG } from '../../src/mixin/config';
import { FETCH_METADATA_ALERT_NAMES } from '../../src/mixin/fetch-metadata-alerts';
import { DEFAULT_DASHBOARDS_CONFIG, DEFAULT_DASHBOARD_INPUTS, fixedWindows } from '../../src/mixin/dashboards/config';
import { generateDashboardRepoFiles } from '../../src/mixin/dashboards/generate';
import { DEFAULT_PROBE_ALERTS, PROBE_ALERT_NAMES } from '../../src/mixin/probe-alerts';
import { ROOT } from '../support/processes';
import { allPanels, isRow, loadDashboards, panelQueries, rangeSelectors, rawSelectors } from './support';

const mixin = DEFAULT_MIXIN_CONFIG;
const DS = { type: 'prometheus', uid: '${datasource}' };
const dashboards = loadDashboards();

describe('generated dashboards', () => {
  it.each(Object.entries(generateDashboardRepoFiles()))('%s is up to date (npm run generate:dashboards)', (rel, text) => {
    expect(readFileSync(path.join(ROOT, rel), 'utf8')).toBe(text);
  });

  it('are the configured dashboards, with stable unique uids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual(Object.values(DEFAULT_DASHBOARDS_CONFIG.uids).sort());
  });

  it('the generator is deterministic and follows the mixin config (prefix, selector)', () => {
    const custom = generateDashboardRepoFiles({ ...DEFAULT_DASHBOARD_INPUTS, mixin: { ...mixin, prefix: 'edge_cors_', selector: 'job="edge"' } });
    const text = custom['dashboards/cors-overview.json'] as string;
    expect(text).toContain('edge_cors_requests_total{job=\\"edge\\"');
    expect(text).not.toMatch(/(?<![\w])cors_requests_total/);
    expect(generateDashboardRepoFiles()).toEqual(generateDashboardRepoFiles());
  });
});

describe.each(dashboards.map((d) => [d.file, d.json] as const))('%s', (_file, d) => {
  const panels = allPanels(d);
  const content = panels.filter((p) => !isRow(p));

  it('has unique panel ids and fits the 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect((p.gridPos?.x ?? 99) + (p.gridPos?.w ?? 99)).toBeLessThanOrEqual(24);
  });

  it('gives every panel a title, a description and a unit', () => {
    const missing = content.filter((p) => !p.title || !(p.description ?? '').trim() || !(p.fieldConfig?.defaults?.unit ?? '').trim());
    expect(missing.map((p) => p.title)).toEqual([]);
  });

  it('reads the datasource variable on every panel, query, variable and annotation (no __inputs)', () => {
    expect(JSON.stringify(d)).not.toContain('__inputs');
    for (const p of content) {
      expect(p.datasource).toEqual(DS);
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual(DS);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(v.datasource?.uid).toBe('${datasource}');
    for (const a of d.annotations.list) expect(a.datasource?.uid).toBe('${datasource}');
  });

  it('uses $__rate_interval for every range, except the documented fixed windows', () => {
    const allowed = new Set(['$__rate_interval', ...fixedWindows(DEFAULT_DASHBOARD_INPUTS)]);
    for (const { panel, target } of panelQueries([{ json: d }])) {
      for (const range of rangeSelectors(target.expr)) {
        if (!allowed.has(range)) throw new Error(`${panel.title}: range [${range}] should be [$__rate_interval]`);
        if (range !== '$__rate_interval') expect(panel.description).toContain(range);
      }
      if (/\b(rate|increase|irate)\(/.test(target.expr)) expect(rangeSelectors(target.expr).length).toBeGreaterThan(0);
      expect(target.expr).not.toContain('$__interval');
    }
  });

  it('restricts every raw series to the mixin selector and the job and instance variables', () => {
    for (const { panel, target } of panelQueries([{ json: d }])) {
      for (const s of rawSelectors(target.expr, mixin.prefix)) {
        const where = `${panel.title}: ${s.metric}{${s.matchers}}`;
        // The prober's series come from its own scrape job (src/mixin/dashboards/probe-row.ts).
        if (s.metric.startsWith('cors_probe_')) {
          expect([where, s.matchers.includes(DEFAULT_PROBE_ALERTS.selector)]).toEqual([where, true]);
          continue;
        }
        expect([where, s.matchers.includes(mixin.selector)]).toEqual([where, true]);
        expect([where, s.matchers.includes('job=~"$job"') && s.matchers.includes('instance=~"$instance"')]).toEqual([where, true]);
      }
    }
  });

  it('has the datasource, job, instance and route variables', () => {
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    expect(Object.keys(vars)).toEqual(['datasource', 'job', 'instance', 'route']);
    expect(vars.datasource?.type).toBe('datasource');
    expect(String(vars.job?.query)).toContain(`{${mixin.selector}}`);
  });

  it('annotates firing CORS alerts and links to the runbook and the other dashboards', () => {
    const expr = d.annotations.list.map((a) => a.expr ?? '').join('\n');
    expect(expr).toContain('ALERTS{alertstate="firing"');
    expect(expr).toContain('CorsAllowedOriginNowRejected');
    expect(d.links.find((l) => l.title === 'Runbook')?.url).toBe(mixin.runbookUrl);
    expect(d.links.some((l) => l.type === 'dashboards')).toBe(true);
    const panelLinks = content.flatMap((p) => p.links ?? []).map((l) => l.url ?? '');
    expect(panelLinks.length).toBeGreaterThan(3);
    // Each panel link is a runbook section: an alert of the mixin with a heading in docs/runbook.md.
    const runbook = path.join(ROOT, 'docs', 'runbook.md');
    const headings = existsSync(runbook) ? [...readFileSync(runbook, 'utf8').matchAll(/^#+\s+(\S+)\s*$/gm)].map((m) => (m[1] as string).toLowerCase()) : undefined;
    for (const url of panelLinks) {
      expect(url.startsWith(`${mixin.runbookUrl}#`)).toBe(true);
      const anchor = url.slice(mixin.runbookUrl.length + 1);
      expect([...ALERT_NAMES, ...PROBE_ALERT_NAMES, ...FETCH_METADATA_ALERT_NAMES].map((n) => n.toLowerCase())).toContain(anchor);
      if (headings) expect(headings).toContain(anchor);
    }
  });
});

describe('Grafana provisioning', () => {
  const dir = path.join(ROOT, 'deploy', 'grafana', 'provisioning');
  it('provisions the datasource with the fixed uid the dashboards default to', () => {
    const ds = parse(readFileSync(path.join(dir, 'datasources', 'cors-sentinel.yml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
    expect(ds.datasources[0]).toMatchObject({ uid: DEFAULT_DASHBOARDS_CONFIG.datasource.uid, type: 'prometheus' });
    for (const { json } of dashboards) {
      const current = json.templating.list.find((v) => v.name === 'datasource') as unknown as { current: { value: string } };
      expect(current.current.value).toBe(DEFAULT_DASHBOARDS_CONFIG.datasource.uid);
    }
  });
  it('loads the dashboards from where docker-compose.yml mounts dashboards/', () => {
    const providers = parse(readFileSync(path.join(dir, 'dashboards', 'cors-sentinel.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
    const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./dashboards:${providers.providers[0]?.options.path}:ro`);
  });
});
