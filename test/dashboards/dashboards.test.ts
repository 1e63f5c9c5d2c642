/**
 * The committed dashboards and Grafana provisioning files are exactly what the generator produces
 * from the mixin config (drift check), and every dashboard keeps the conventions: units,
 * descriptions, `$__rate_interval`, unique ids, the datasource variable everywhere, the selector on
 * every raw series, the variables, the firing-alerts annotation and the runbook links.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { ALERT_NAMES, DEFAULT_MIXIN_CONFIG } from '../../packages/cli/src/mixin/config';
import { DEFAULT_DASHBOARDS_CONFIG, DEFAULT_DASHBOARD_INPUTS, fixedWindows } from '../../packages/cli/src/mixin/dashboards/config';
import { generateDashboardRepoFiles } from '../../packages/cli/src/mixin/dashboards/generate';
import { CLI, ROOT } from '../support/processes';
import { allPanels, isRow, loadDashboards, panelQueries, rangeSelectors, rawSelectors } from './support';

const mixin = DEFAULT_MIXIN_CONFIG;
const DS = { type: 'prometheus', uid: '${datasource}' };
const dashboards = loadDashboards();

describe('generated dashboards', () => {
  it('`mixin --repo DIR --check` covers them with the rules: one command regenerates and checks every generated file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cors-sentinel-repo-check-'));
    try {
      const write = spawnSync(process.execPath, [CLI, 'mixin', '--repo', dir], { encoding: 'utf8' });
      expect(write.status).toBe(0);
      for (const rel of Object.keys(generateDashboardRepoFiles())) expect(write.stdout).toContain(path.join(dir, rel));
      expect(write.stdout).toContain(path.join(dir, 'alerts', 'cors-sentinel-alerts.yml'));
      const dashboard = path.join(dir, 'dashboards', 'cors-overview.json');
      writeFileSync(dashboard, readFileSync(dashboard, 'utf8').replace('"title"', '"titel"'));
      const check = spawnSync(process.execPath, [CLI, 'mixin', '--repo', dir, '--check'], { encoding: 'utf8' });
      expect({ status: check.status, stderr: check.stderr.trim() }).toEqual({ status: 1, stderr: `out of date: ${dashboard}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(Object.entries(generateDashboardRepoFiles()))('%s is up to date (npm run generate:mixin)', (rel, text) => {
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
          expect([where, s.matchers.includes(mixin.probeSelector)]).toEqual([where, true]);
          continue;
        }
        expect([where, s.matchers.includes(mixin.selector)]).toEqual([where, true]);
        expect([where, s.matchers.includes('job=~"$job"') && s.matchers.includes('instance=~"$instance"')]).toEqual([where, true]);
      }
    }
  });

  it('has the datasource, job, instance, route and origin variables, job a real multi-value one', () => {
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    expect(Object.keys(vars)).toEqual(['datasource', 'job', 'instance', 'route', 'origin']);
    expect(vars.datasource?.type).toBe('datasource');
    expect(String(vars.job?.query)).toContain(`{${mixin.selector}}`);
    expect(vars.job).toMatchObject({ multi: true, includeAll: true, allValue: '.*' });
    // Several picked jobs reach every query as a regex alternative, never as an equality.
    expect(JSON.stringify(d)).not.toMatch(/job=\\"\$job\\"/);
  });

  it('shares the crosshair, and shows last and max in every time-series legend', () => {
    expect(d.graphTooltip).toBe(1);
    for (const p of content.filter((x) => x.type === 'timeseries')) expect([p.title, p.options?.legend?.calcs]).toEqual([p.title, ['lastNotNull', 'max']]);
  });

  it('counts and annotates only the mixin\'s warning and critical alerts of the selected jobs, and annotates policy changes', () => {
    const alerts = 'ALERTS{alertstate="firing", mixin="cors-sentinel", severity=~"critical|warning", job=~"$job"}';
    const names = d.annotations.list.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['Firing CORS alerts', 'Policy changes']));
    expect(d.annotations.list.find((a) => a.name === 'Firing CORS alerts')?.expr).toBe(alerts);
    expect(d.annotations.list.find((a) => a.name === 'Policy changes')?.expr).toContain('policy_hash');
    const stat = content.find((p) => p.title === 'Firing CORS alerts');
    expect(stat?.targets?.[0]?.expr).toContain(alerts);
  });

  it('links to the runbook and the other dashboards', () => {
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
      expect(ALERT_NAMES.map((n) => n.toLowerCase())).toContain(anchor);
      if (headings) expect(headings).toContain(anchor);
    }
  });
});

describe('the 3 a.m. questions', () => {
  const overview = dashboards.find((x) => x.json.uid === DEFAULT_DASHBOARDS_CONFIG.uids.overview)!.json;
  const anomalies = dashboards.find((x) => x.json.uid === DEFAULT_DASHBOARDS_CONFIG.uids.anomalies)!.json;
  const titles = allPanels(overview).map((p) => p.title);

  it('has a per-instance breakdown right after the headline', () => {
    const rows = allPanels(overview).filter(isRow).map((p) => p.title);
    expect(rows.slice(0, 2)).toEqual(['Headline', 'Per instance']);
    expect(titles).toEqual(expect.arrayContaining(['Rejected ratio by instance', 'Instances']));
  });

  it('answers "since when is $origin rejected, and why" per origin and request type', () => {
    const origin = allPanels(overview).filter((p) => (p.targets ?? []).some((t) => t.expr.includes('origin=~"$origin"')));
    expect(origin.map((p) => p.title)).toEqual(expect.arrayContaining(['Requests from $origin by type and outcome', 'Why: rejection reasons where $origin is rejected']));
    expect(origin.every((p) => p.type === 'timeseries')).toBe(true);
  });

  it('has a preflight-vs-actual time series', () => {
    const p = allPanels(overview).find((x) => x.title === 'Preflights vs actual requests');
    expect(p?.targets?.map((t) => t.expr).join('\n')).toMatch(/request_type="actual"/);
  });

  it('filters the anomaly band by route like the line it frames', () => {
    const band = allPanels(anomalies).find((p) => p.title?.startsWith('Rejected rate against'));
    for (const t of band?.targets ?? []) expect([t.legendFormat, t.expr]).toEqual([t.legendFormat, expect.stringContaining('route=~"$route"')]);
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
