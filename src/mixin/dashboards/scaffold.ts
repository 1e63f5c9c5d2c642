/**
 * What every generated dashboard shares: uid, tags, refresh, the datasource / job / instance / route
 * variables, the firing-alerts annotation and the links to the runbook and the sibling dashboards.
 */
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { DashboardInputs } from './config';
import { DATASOURCE } from './panels';
import { DashQueries, VARIABLE_MATCHERS } from './queries';

export function scaffold(inputs: DashboardInputs, uid: string, title: string, description: string): DashboardBuilder {
  const { mixin, dashboards: d } = inputs;
  const dq = new DashQueries(mixin);

  const variable = (name: string, label: string, query: string, help: string): QueryVariableBuilder =>
    new QueryVariableBuilder(name)
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

  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([...d.tags])
    .refresh(d.refresh)
    .time({ from: `now-${d.timeFrom}`, to: 'now' })
    .timezone('browser')
    .editable()
    .withVariable(
      new DatasourceVariableBuilder('datasource')
        .label('Data source')
        .description('Prometheus that scrapes the cors-sentinel metrics.')
        .type('prometheus')
        // The provisioned datasource has a fixed uid, so a fresh Grafana opens on it.
        .current({ selected: true, text: d.datasource.name, value: d.datasource.uid }),
    )
    .withVariable(variable('job', 'Job', dq.labelValues('config_info', 'job'), 'Scrape jobs exporting cors-sentinel metrics (within the mixin selector).'))
    .withVariable(variable('instance', 'Instance', dq.labelValues('config_info', 'instance', VARIABLE_MATCHERS.job), 'Instances of the selected jobs.'))
    .withVariable(
      variable('route', 'Route', dq.labelValues('requests_total', 'route', VARIABLE_MATCHERS.job, VARIABLE_MATCHERS.instance), 'Policy routes (the route label: configured route names, or the default route).'),
    )
    .annotation(
      new AnnotationQueryBuilder()
        .name('Firing CORS alerts')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('red')
        .expr(dq.alertsSelector())
        .titleFormat('{{alertname}}')
        .textFormat('{{severity}} alert for {{job}} {{route}} {{origin}}')
        .tagKeys('alertname,severity,job')
        .step('60s')
        .useValueForTime(false),
    )
    .link(new DashboardLinkBuilder('CORS dashboards').type(DashboardLinkType.Dashboards).tags([d.tags[0] ?? 'cors-sentinel']).asDropdown(false).includeVars(true).keepTime(true))
    .link(new DashboardLinkBuilder('Runbook').type(DashboardLinkType.Link).url(mixin.runbookUrl).icon('doc').tooltip('What each CORS alert means and what to do').targetBlank(true));
}
