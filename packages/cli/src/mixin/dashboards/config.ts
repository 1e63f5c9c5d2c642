/**
 * Settings that only the dashboards need (uids, titles, refresh, the provisioned datasource). Every
 * query setting — metric prefix, target selector, runbook URL, windows, thresholds — comes from the
 * mixin config that the rules are generated from (`../config`), so panels and alerts cannot disagree.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_MIXIN_CONFIG, type MixinConfig } from '../config-model';

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

/**
 * The dashboards of one mixin config. Generated for another selector or prefix (another team, another
 * set of clusters), their uids, titles and the tag their links follow get a suffix derived from the
 * selector and prefix, so that two sets live side by side in one Grafana without replacing each other.
 * The default config keeps the committed uids (bookmarks and links rely on them).
 */
export function dashboardsConfigFor(mixin: MixinConfig, base: DashboardsConfig = DEFAULT_DASHBOARDS_CONFIG): DashboardsConfig {
  if (mixin.selector === DEFAULT_MIXIN_CONFIG.selector && mixin.prefix === DEFAULT_MIXIN_CONFIG.prefix) return base;
  const id = createHash('sha256').update(`${mixin.prefix}\n${mixin.selector}`).digest('hex').slice(0, 8);
  const scope = mixin.selector === '' ? `all targets, ${mixin.prefix}` : mixin.selector;
  return {
    ...base,
    uids: { overview: `${base.uids.overview}-${id}`, anomalies: `${base.uids.anomalies}-${id}` },
    titles: { overview: `${base.titles.overview} (${scope})`, anomalies: `${base.titles.anomalies} (${scope})` },
    // Not the default set's first tag: its "CORS dashboards" links follow that tag and must not list this set.
    tags: [`${base.tags[0] ?? 'cors-sentinel'}-${id}`, ...base.tags.slice(1)],
  };
}

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
