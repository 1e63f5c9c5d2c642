/**
 * Thin wrappers over the Grafana foundation SDK's panel builders. They exist to make the dashboard
 * conventions impossible to forget: every panel gets an explicit id (the SDK does not number panels),
 * a unit, a description, the `${datasource}` reference on the panel and on each query, and a refId.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import { DashboardLinkBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode, type GridPos } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as HeatmapPanel, YAxisConfigBuilder, HeatmapColorOptionsBuilder, HeatmapColorMode } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel and query reads the dashboard's `datasource` variable (never `__inputs`, never a hard uid). */
export const DATASOURCE: { type: string; uid: string } = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** Instant queries for stats, tables and bar gauges: one value per series, at the end of the range. */
  readonly instant?: boolean;
  readonly format?: 'time_series' | 'table' | 'heatmap';
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Runbook section (an alert name) the panel links to. */
  readonly runbook?: string;
  /** The alert threshold: stats turn red above it, graphs draw it as a dashed line. */
  readonly alertAt?: number;
}

export type AnyPanel = StatPanel | TimeseriesPanel | TablePanel | BarGaugePanel | HeatmapPanel;

/** Assigns ids and grid positions in reading order, wrapping at Grafana's 24 columns. */
export class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  constructor(private readonly runbookUrl: string) {}

  id(): number {
    return this.nextId++;
  }

  /** Starts a new full-width row header. */
  row(title: string): RowBuilder {
    this.newLine();
    const row = new RowBuilder(title).id(this.id()).gridPos({ x: 0, y: this.y, w: 24, h: 1 });
    this.y += 1;
    return row;
  }

  place(w: number, h: number): GridPos {
    if (this.x + w > 24) this.newLine();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  private newLine(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }

  /** The fields every panel kind shares. */
  common<P extends AnyPanel>(panel: P, spec: PanelSpec, w: number, h: number): P {
    panel.id(this.id()).title(spec.title).description(spec.description).unit(spec.unit).datasource(DATASOURCE).gridPos(this.place(w, h));
    spec.queries.forEach((q, i) => panel.withTarget(target(q, i)));
    if (spec.alertAt !== undefined) {
      panel.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: 'green' }, { value: spec.alertAt, color: 'red' }]));
    }
    if (spec.runbook !== undefined) {
      panel.links([new DashboardLinkBuilder(`Runbook: ${spec.runbook}`).url(`${this.runbookUrl}#${spec.runbook.toLowerCase()}`).targetBlank(true)]);
    }
    return panel;
  }

  stat(spec: PanelSpec, w = 3, h = 4): StatPanel {
    return this.common(new StatPanel(), spec, w, h)
      .graphMode(common.BigValueGraphMode.Area)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .noValue('0');
  }

  timeseries(spec: PanelSpec, w = 12, h = 8, stacked = false): TimeseriesPanel {
    const panel = this.common(new TimeseriesPanel(), spec, w, h)
      // Last and max in the legend: "what is it now, and how bad did it get" without hovering.
      .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).calcs(['lastNotNull', 'max']))
      .fillOpacity(stacked ? 30 : 10)
      .min(0);
    if (stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
    if (spec.alertAt !== undefined) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
    return panel;
  }

  table(spec: PanelSpec, w = 12, h = 8): TablePanel {
    // Instant table queries return a `Time` column that says nothing; hide it.
    return this.common(new TablePanel(), spec, w, h).withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } });
  }

  barGauge(spec: PanelSpec, w = 12, h = 8): BarGaugePanel {
    return this.common(new BarGaugePanel(), spec, w, h)
      .orientation(common.VizOrientation.Horizontal)
      .displayMode(common.BarGaugeDisplayMode.Gradient)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
  }

  /** A heatmap of pre-bucketed histogram rates (Grafana must not re-bucket them). */
  heatmap(spec: PanelSpec, w = 12, h = 8): HeatmapPanel {
    return this.common(new HeatmapPanel(), spec, w, h)
      .calculate(false)
      .yAxis(new YAxisConfigBuilder().unit(spec.unit))
      .color(new HeatmapColorOptionsBuilder().mode(HeatmapColorMode.Scheme).scheme('Oranges'));
  }
}

function target(q: Query, index: number): DataqueryBuilder {
  const t = new DataqueryBuilder()
    .refId(String.fromCharCode(65 + index))
    .datasource(DATASOURCE)
    .expr(q.expr);
  if (q.legend !== undefined) t.legendFormat(q.legend);
  if (q.instant) t.instant();
  else t.range();
  if (q.format === 'table') t.format(PromQueryFormat.Table);
  if (q.format === 'heatmap') t.format(PromQueryFormat.Heatmap);
  return t;
}
