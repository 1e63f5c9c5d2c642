/**
 * What every generated dashboard shares: uid, tags, refresh, the datasource / job / instance / route
 * variables, the firing-alerts annotation and the links to the runbook and the sibling dashboards.
 */
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardInputs } from './config';
import { DATASOURCE } from './panels';
import { DashQueries, extraLevels, VARIABLE_MATCHERS } from './queries';

export function scaffold(inputs: DashboardInputs, uid: string, title: string, description: string): DashboardBuilder {
  const { mixin, dashboards: d } = inputs;
  const dq = new DashQueries(mixin);
  const { job, instance, route } = VARIABLE_MATCHERS;
  const levels = dq.levels;

  const b = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([...d.tags])
    .refresh(d.refresh)
    .time({ from: `now-${d.timeFrom}`, to: 'now' })
    .timezone('browser')
    // One crosshair across panels: "what else happened at that minute".
    .tooltip(DashboardCursorSync.Crosshair)
    .editable()
    .withVariable(
      new DatasourceVariableBuilder('datasource')
        .label('Data source')
        .description('Prometheus that scrapes the cors-sentinel metrics.')
        .type('prometheus')
        // The provisioned datasource has a fixed uid, so a fresh Grafana opens on it.
        .current({ selected: true, text: d.datasource.name, value: d.datasource.uid }),
    );
  // Levels above the job (a cluster, a namespace), each narrowing the next.
  extraLevels(mixin).forEach((label, i) => {
    b.withVariable(variable(label, label, dq.labelValues('config_info', label, ...levels.slice(0, i)), `The ${label} label of the targets (a mixin aggregation label).`));
  });
  return b
    .withVariable(variable('job', 'Job', dq.labelValues('config_info', 'job', ...levels), 'Scrape jobs exporting cors-sentinel metrics (within the mixin selector); pick one or several.'))
    .withVariable(variable('instance', 'Instance', dq.labelValues('config_info', 'instance', ...levels, job), 'Instances of the selected jobs.'))
    .withVariable(variable('route', 'Route', dq.labelValues('requests_total', 'route', ...levels, job, instance), 'Policy routes (the route label: configured route names, or the default route).'))
    .withVariable(
      variable('origin', 'Origin', dq.labelValues('requests_total', 'origin', ...levels, job, instance, route), 'Origin label values, for the per-origin panels ("since when is this origin rejected, and why?").'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Firing CORS alerts')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('red')
        .expr(dq.alertsSelector())
        .titleFormat('{{alertname}}')
        .textFormat('{{severity}} alert for {{job}} {{instance}} {{route}} {{origin}}')
        .tagKeys('alertname,severity,job')
        .step('60s')
        .useValueForTime(false),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Policy changes')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('blue')
        // A policy_hash an instance did not report a minute earlier: a deploy or reload changed its policy.
        .expr(policyChanges(dq))
        .titleFormat('CORS policy changed')
        .textFormat('{{instance}} of {{job}} now runs policy {{policy_hash}}')
        .tagKeys('job,instance,policy_hash')
        .step('60s')
        .useValueForTime(false),
    )
    .link(new DashboardLinkBuilder('CORS dashboards').type(DashboardLinkType.Dashboards).tags([d.tags[0] ?? 'cors-sentinel']).asDropdown(false).includeVars(true).keepTime(true))
    .link(new DashboardLinkBuilder('Runbook').type(DashboardLinkType.Link).url(mixin.runbookUrl).icon('doc').tooltip('What each CORS alert means and what to do').targetBlank(true));
}

/** Series of (job, instance, policy_hash) that exist now but did not a minute ago. */
export function policyChanges(dq: DashQueries): string {
  const info = dq.sNoRoute('config_info');
  return `group by (job, instance, policy_hash) (${info})\nunless group by (job, instance, policy_hash) (${info} offset 1m)`;
}

function variable(name: string, label: string, query: string, help: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .description(help)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    // "All" is a regex over whatever exists, so new routes and instances appear without a reload.
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}
