/**
 * What an alert module declares. Alerts live in modules (one file per concern) listed in
 * `./registry`, so that a feature adds its alerts by adding a module, not by editing a shared list.
 */
import type { MixinConfig, Severity } from '../config-model';
import { Promql, type RecordingRule } from '../promql';
import { recordedNames } from '../recording';

export interface AlertText {
  readonly expr: string;
  /** Static: no templates, so that grouped notifications read the same. */
  readonly summary: string;
  /** Templated: names the job, and the instance or origin where the alert is about one. */
  readonly description: string;
}

export interface AlertDefinition {
  readonly name: string;
  /** Default `for:` (the config's `for` overrides it). */
  readonly for: string;
  /** Default severity (the config's `severities` overrides it). */
  readonly severity: Severity;
  /** Keeps the alert firing this long after its condition clears: one notification, no flapping tail. */
  readonly keepFiringFor?: string;
  readonly build: (ctx: AlertContext) => AlertText;
}

export interface AlertModule {
  /** For the reader of the registry; all alerts share one rule group. */
  readonly name: string;
  readonly alerts: readonly AlertDefinition[];
  /** Recording rules the module's alerts (or dashboards) read; they join the mixin's recording group. */
  readonly recording?: (ctx: AlertContext) => readonly RecordingRule[];
}

/** What the alert builders share: the PromQL helpers, recorded names and the template of the job. */
export class AlertContext {
  readonly q: Promql;
  readonly n: ReturnType<typeof recordedNames>;
  /** `by (job)` labels, comma-separated. */
  readonly by: string;
  /** The job's labels as a template, e.g. `{{ $labels.job }}` (or `cluster/job`). */
  readonly job: string;
  /** The instance label as a template. */
  readonly instance: string;

  constructor(readonly c: MixinConfig) {
    this.q = new Promql(c);
    this.n = recordedNames(c);
    this.by = this.q.labels();
    this.job = c.aggregationLabels.map((l) => `{{ $labels.${l} }}`).join('/');
    this.instance = `{{ $labels.${c.instanceLabel} }}`;
  }

  /** `on (job, extra…)`. */
  on(...extra: string[]): string {
    return `on (${this.q.labels(...extra)})`;
  }

  /** Prometheus has seen this job's traffic around one `history` ago: no cold-start false positives. */
  get hasHistory(): string {
    return `group by (${this.by}) (present_over_time(${this.n.requests}[1h] offset ${this.c.windows.history}))`;
  }
}
