/** Reading the committed dashboards: panels, queries and variables, for the convention and live tests. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/processes';

export interface Target {
  readonly refId?: string;
  readonly expr: string;
  readonly instant?: boolean;
  readonly datasource?: { type?: string; uid?: string };
  readonly legendFormat?: string;
}

export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly description?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly fieldConfig?: { defaults?: { unit?: string } };
  readonly targets?: readonly Target[];
  readonly gridPos?: { x: number; y: number; w: number; h: number };
  readonly links?: ReadonlyArray<{ url?: string }>;
  readonly panels?: readonly Panel[];
  readonly options?: { legend?: { calcs?: readonly string[] } };
}

export interface DashboardJson {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { list: ReadonlyArray<{ name: string; type: string; query?: unknown; datasource?: { uid?: string } }> };
  readonly annotations: { list: ReadonlyArray<{ name: string; expr?: string; datasource?: { uid?: string } }> };
  readonly links: ReadonlyArray<{ title: string; url?: string; type: string }>;
  readonly [key: string]: unknown;
}

export const DASHBOARD_DIR = path.join(ROOT, 'dashboards');

export function loadDashboards(): Array<{ file: string; json: DashboardJson }> {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')) as DashboardJson }));
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: DashboardJson): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export const isRow = (p: Panel): boolean => p.type === 'row';

export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: Panel;
  readonly target: Target;
}

export function panelQueries(dashboards: ReadonlyArray<{ json: DashboardJson }>): PanelQuery[] {
  return dashboards.flatMap(({ json }) =>
    allPanels(json)
      .filter((p) => !isRow(p))
      .flatMap((panel) => (panel.targets ?? []).map((target) => ({ dashboard: json.uid, panel, target }))),
  );
}

/** Range selectors (`[5m]`, `[$__rate_interval]`, subqueries' `[1w:5m]`) in a PromQL expression. */
export function rangeSelectors(expr: string): string[] {
  return [...expr.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1] as string);
}

/** Raw metric selectors `name{matchers}` with the given prefix (recorded `level:metric:op` names excluded). */
export function rawSelectors(expr: string, prefix: string): Array<{ metric: string; matchers: string }> {
  const re = new RegExp(`(?<![:\\w])(${prefix}[a-zA-Z0-9_]+)\\{([^}]*)\\}`, 'g');
  return [...expr.matchAll(re)].map((m) => ({ metric: m[1] as string, matchers: m[2] as string }));
}

/** Raw metric names (as Prometheus stores them: histogram series without the suffix stripped). */
export function metricNames(expr: string, prefix: string): string[] {
  return [...new Set(rawSelectors(expr, prefix).map((s) => s.metric))];
}

export interface Substitutions {
  readonly rateInterval: string;
  readonly job: string;
  readonly instance: string;
  readonly route: string;
  /** Defaults to All (`.*`). */
  readonly origin?: string;
}

/** What Grafana does before sending a query: macros and variables replaced by concrete values. */
export function substitute(expr: string, s: Substitutions): string {
  return expr
    .replaceAll('$__rate_interval', s.rateInterval)
    .replaceAll('$job', s.job)
    .replaceAll('$instance', s.instance)
    .replaceAll('$route', s.route)
    .replaceAll('$origin', s.origin ?? '.*');
}
