/**
 * PromQL for the panels. Raw metrics with `$__rate_interval` wherever possible, because a Grafana
 * user may not load our recording rules; the recorded 1-week baseline is the exception (computing it
 * from raw series would be a week-long subquery per point). The mixin's selector and prefix come from
 * the shared `Promql`, and the dashboard variables are added as matchers.
 */
import { MIXIN_LABEL, type MixinConfig } from '../config-model';
import { Promql, type ContractSeries } from '../promql';
import { recordedNames } from '../recording';

export const RATE = '$__rate_interval';

/** Matchers of the dashboard variables; `route` only on metrics that have the label. */
const JOB = 'job=~"$job"';
const INSTANCE = 'instance=~"$instance"';
const ROUTE = 'route=~"$route"';
const ORIGIN = 'origin=~"$origin"';

/**
 * Aggregation labels other than job (a cluster, a namespace) get a variable of their own, named like
 * the label; every query filters on them.
 */
export function extraLevels(c: MixinConfig): string[] {
  return c.aggregationLabels.filter((l) => l !== 'job');
}

export class DashQueries {
  readonly q: Promql;
  readonly recorded: ReturnType<typeof recordedNames>;

  constructor(readonly c: MixinConfig) {
    this.q = new Promql(c);
    this.recorded = recordedNames(c);
  }

  /** Matchers of the extra level variables (e.g. `cluster=~"$cluster"`). */
  get levels(): string[] {
    return extraLevels(this.c).map((l) => `${l}=~"$${l}"`);
  }

  /** A metric with the selector, job, instance and route matchers. */
  s(name: ContractSeries, ...matchers: string[]): string {
    return this.q.sel(name, ...this.levels, JOB, INSTANCE, ROUTE, ...matchers);
  }

  /** For metrics without a `route` label (guard, resolver, findings). */
  sNoRoute(name: ContractSeries, ...matchers: string[]): string {
    return this.q.sel(name, ...this.levels, JOB, INSTANCE, ...matchers);
  }

  /** `sum [by (...)] (rate(sel[$__rate_interval]))`. */
  sumRate(selector: string, by: readonly string[] = []): string {
    const group = by.length > 0 ? ` by (${by.join(', ')})` : '';
    return `sum${group} (rate(${selector}[${RATE}]))`;
  }

  /**
   * `num / den`, where a numerator without series counts as 0: "no rejected request" is a ratio of
   * 0 %, not "No data". Only a missing denominator (no traffic at all) leaves the panel empty.
   */
  ratio(num: string, den: string, by: readonly string[] = []): string {
    const zero = by.length > 0 ? `0 * ${den}` : 'vector(0)';
    return `(\n  ${num}\n  or ${zero}\n)\n/ ${den}`;
  }

  histogramQuantile(quantile: number, bucketSelector: string, by: readonly string[] = []): string {
    return `histogram_quantile(${quantile}, ${this.sumRate(bucketSelector, ['le', ...by])})`;
  }

  /** Recording rules are per aggregation level (job): only the job variable (and route, where recorded) applies. */
  rec(name: string, ...matchers: string[]): string {
    return `${name}{${[...this.levels, JOB, ...matchers].join(', ')}}`;
  }

  /**
   * The mixin's alerts (by the label every one of them carries) of the selected jobs, warning and
   * above: other teams' alerts and info alerts never turn these dashboards red.
   */
  alertsSelector(state = 'firing'): string {
    return `ALERTS{${[`alertstate="${state}"`, `${MIXIN_LABEL.name}="${MIXIN_LABEL.value}"`, 'severity=~"critical|warning"', ...this.levels, JOB].join(', ')}}`;
  }

  /** Variable query values (Grafana `label_values`), scoped to the mixin's selector; `metric` without the prefix. */
  labelValues(metric: ContractSeries, label: string, ...matchers: string[]): string {
    return `label_values(${this.q.sel(metric, ...matchers)}, ${label})`;
  }
}

export const VARIABLE_MATCHERS = { job: JOB, instance: INSTANCE, route: ROUTE, origin: ORIGIN } as const;
