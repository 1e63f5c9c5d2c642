/**
 * Settings that only the dashboards need (uids, titles, refresh, the provisioned datasource). Every
 * query setting — metric prefix, target selector, runbook URL, windows, thresholds — comes from the
 * mixin config that the rules are generated from (`../config`), so panels and alerts cannot disagree.
 */
import { DEFAULT_MIXIN_CONFIG, type MixinConfig } from '../config';

export interface DashboardsConfig {
  /** Stable dashboard uids: links, bookmarks and the provisioned files depend on them. */
  readonly uids: { readonly overview: string; readonly anomalies: string };
  readonly titles: { readonly overview: string; readonly anomalies: string };
  /** Every generated dashboard carries these tags; the dashboards link to each other through them. */
  readonly tags: readonly string[];
  readonly refresh: string;
  /** Default time range (`now-<from>` to now). */
  readonly timeFrom: string;
  /** The provisioned Prometheus datasource: fixed uid, so that the `datasource` variable has a sane default. */
  readonly datasource: { readonly uid: string; readonly name: string; readonly url: string };
  /** Where the compose Grafana finds the generated dashboards (the `dashboards/` directory is mounted there). */
  readonly dashboardsPath: string;
  /** The Grafana folder of the provisioned dashboards. */
  readonly folder: string;
  /** "New origin" window of the anomalies dashboard: an origin whose series did not exist this long ago. */
  readonly newOriginWindow: string;
}

export const DEFAULT_DASHBOARDS_CONFIG: DashboardsConfig = {
  uids: { overview: 'cors-sentinel-overview', anomalies: 'cors-sentinel-anomalies' },
  titles: { overview: 'CORS overview', anomalies: 'CORS anomalies / security' },
  tags: ['cors-sentinel', 'cors'],
  refresh: '30s',
  timeFrom: '1h',
  datasource: { uid: 'cors-prometheus', name: 'Prometheus (cors-sentinel)', url: 'http://prometheus:9090' },
  dashboardsPath: '/var/lib/grafana/dashboards/cors-sentinel',
  folder: 'cors-sentinel',
  newOriginWindow: '24h',
};

/** Both configs the generator reads. */
export interface DashboardInputs {
  readonly mixin: MixinConfig;
  readonly dashboards: DashboardsConfig;
}

export const DEFAULT_DASHBOARD_INPUTS: DashboardInputs = { mixin: DEFAULT_MIXIN_CONFIG, dashboards: DEFAULT_DASHBOARDS_CONFIG };

/**
 * Range selectors other than `$__rate_interval` that panels may use, each a deliberate window named
 * in its panel's description; the convention test rejects any other.
 */
export function fixedWindows(inputs: DashboardInputs): string[] {
  return [inputs.dashboards.newOriginWindow];
}
