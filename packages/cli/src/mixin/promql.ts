/**
 * PromQL building blocks shared by the recording and alert rules, so that the prefix, the target
 * selector and the aggregation labels are applied in exactly one place.
 */
import type { METRIC_NAMES } from 'cors-sentinel/internal/contract';
import type { CROSS_ORIGIN_REQUESTS_METRIC } from 'cors-sentinel/internal/fetch-metadata/protect';
import type { PROBE_METRIC_NAMES } from 'cors-sentinel/internal/metrics/probe-traffic';
import type { MixinConfig } from './config-model';

/** Origin label values that are not one origin: folded, unparseable or the opaque `null`. */
export const NOT_ONE_ORIGIN = '__other__|__invalid__|null';

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly keep_firing_for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval of this group, when it differs from Prometheus's global one. */
  readonly interval?: string;
  readonly rules: ReadonlyArray<RecordingRule | AlertingRule>;
}

/** A series name of the metric contract (src/contract.ts), without the prefix: renaming a metric there breaks the mixin's build. */
export type ContractSeries = MetricName | typeof CROSS_ORIGIN_REQUESTS_METRIC | ProbeSeries | `${HistogramName}_${'bucket' | 'count' | 'sum'}` | SurfaceSeries;
/** Series of the other surfaces (docs/metrics.md): the sidecar proxy, the Express mount check and the log reader. */
type SurfaceSeries = 'proxy_upstream_errors_total' | 'undecided_requests_total' | 'log_lines_total' | 'log_read_failing' | 'origin_store_lookups_total';
type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
/** Signed prober traffic on the target (src/metrics/probe-traffic.ts). */
type ProbeSeries = (typeof PROBE_METRIC_NAMES)[keyof typeof PROBE_METRIC_NAMES];
type HistogramName = Extract<MetricName, `${string}_seconds`>;

export class Promql {
  constructor(readonly c: MixinConfig) {}

  /** A metric of the contract with its prefix, e.g. `cors_requests_total`. */
  metric(name: ContractSeries): string {
    return this.c.prefix + name;
  }

  /** `name{<selector>, extra…}`: every raw series we read is restricted to our targets. */
  sel(name: ContractSeries, ...matchers: string[]): string {
    return selector(this.metric(name), [this.c.selector, ...matchers]);
  }

  /** `{<selector>, extra…}` without a metric name, for selecting several metrics by `__name__`. */
  braces(...matchers: string[]): string {
    return selector('', [this.c.selector, ...matchers]);
  }

  /** A series of the CORS prober's job (`cors_probe_*`: fixed names, no prefix; `probeSelector`). */
  probe(name: string, ...matchers: string[]): string {
    return selector(name, [this.c.probeSelector, ...matchers]);
  }

  /** `up` of our targets: Prometheus's own proof that it scraped them (cold-start guards). */
  up(): string {
    return selector('up', [this.c.selector]);
  }

  /** Labels of an aggregation: the configured ones (e.g. job) plus `extra`. */
  labels(...extra: string[]): string {
    return [...this.c.aggregationLabels, ...extra].join(', ');
  }

  /** `level:metric:operation`, the recording rule naming convention, e.g. `job_outcome:cors_requests:rate5m`. */
  rec(extra: readonly string[], metric: string, operation: string): string {
    return `${[...this.c.aggregationLabels, ...extra].join('_')}:${this.c.prefix}${metric}:${operation}`;
  }

  /** `rate5m` for the configured rate window. */
  get rateOp(): string {
    return `rate${this.c.windows.rate}`;
  }

  sumRate(name: ContractSeries, matchers: readonly string[], ...by: string[]): string {
    return `sum by (${this.labels(...by)}) (rate(${this.sel(name, ...matchers)}[${this.c.windows.rate}]))`;
  }

  /**
   * Series of counter `name` that increased within `window`, or appeared within it. A counter that
   * is born at 1 (prom-client creates a child on its first increment) never shows an increase, so a
   * single event would otherwise be invisible. "Appeared" needs `up` from `window` ago, so that a
   * fresh Prometheus does not take every old series for a new one.
   */
  newOrIncreased(name: ContractSeries, matchers: readonly string[], ownLabels: readonly string[], window: string): string {
    const s = this.sel(name, ...matchers);
    return [
      `(increase(${s}[${window}]) > 0)`,
      'or',
      `(`,
      `  (${s} unless ${s} offset ${window})`,
      `  and ignoring (${ownLabels.join(', ')}) ${this.up()} offset ${window}`,
      `)`,
    ].join('\n');
  }

  runbook(alert: string): string {
    return `${this.c.runbookUrl}#${alert.toLowerCase()}`;
  }
}

function selector(metric: string, matchers: readonly string[]): string {
  const parts = matchers.map((m) => m.trim().replace(/,\s*$/, '')).filter((m) => m !== '');
  return parts.length === 0 ? metric : `${metric}{${parts.join(', ')}}`;
}

/** Indents every line of a sub-expression for readable multi-line rules. */
export function indent(expr: string, spaces = 2): string {
  const pad = ' '.repeat(spaces);
  return expr.split('\n').map((l) => pad + l).join('\n');
}
