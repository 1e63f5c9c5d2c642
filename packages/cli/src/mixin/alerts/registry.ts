/**
 * The alert modules of the mixin, in the order their alerts appear in the rule file. A feature with
 * alerts of its own adds a module (a file exporting an `AlertModule`) and one entry here; its alert
 * names, default `for:` and severities then reach the config validation, the dashboards' alert
 * filter and the rule file without further edits, and its recording rules (if any) join the mixin's
 * recording group.
 */
import type { MixinConfig } from '../config-model';
import { MIXIN_LABEL } from '../config-model';
import type { AlertingRule, RuleGroup } from '../promql';
import { RECORDING_GROUP, recordingGroups } from '../recording';
import { attackAlerts } from './attacks';
import { fetchMetadataAlerts } from './fetch-metadata';
import { localServerAlerts } from './local-server';
import { frontendAlerts } from './frontends';
import { operationAlerts } from './operations';
import { postureAlerts } from './posture';
import { probeAlerts } from './probe';
import { surfaceAlerts } from './surfaces';
import { AlertContext, type AlertDefinition, type AlertModule } from './types';

export const ALERT_GROUP = 'cors-sentinel.alerts';

export const ALERT_MODULES: readonly AlertModule[] = [frontendAlerts, attackAlerts, postureAlerts, operationAlerts, fetchMetadataAlerts, localServerAlerts, probeAlerts, surfaceAlerts];

export const ALERT_DEFINITIONS: readonly AlertDefinition[] = ALERT_MODULES.flatMap((m) => m.alerts);
export const ALERT_NAMES: readonly string[] = ALERT_DEFINITIONS.map((a) => a.name);

/** The `for:` an alert gets under `c` (config over module default). */
export function alertFor(c: MixinConfig, name: string): string {
  return c.for[name] ?? definition(name).for;
}

export function alertSeverity(c: MixinConfig, name: string): string {
  return c.severities[name] ?? definition(name).severity;
}

function definition(name: string): AlertDefinition {
  const found = ALERT_DEFINITIONS.find((a) => a.name === name);
  if (!found) throw new Error(`cors-sentinel mixin: unknown alert ${name}`);
  return found;
}

export function alertGroups(c: MixinConfig): RuleGroup[] {
  const x = new AlertContext(c);
  const rules: AlertingRule[] = ALERT_DEFINITIONS.map((a) => {
    const text = a.build(x);
    return {
      alert: a.name,
      expr: text.expr,
      for: alertFor(c, a.name),
      ...(a.keepFiringFor ? { keep_firing_for: a.keepFiringFor } : {}),
      labels: { severity: alertSeverity(c, a.name), ...c.labels, [MIXIN_LABEL.name]: MIXIN_LABEL.value },
      annotations: { summary: text.summary, description: text.description, runbook_url: x.q.runbook(a.name) },
    };
  });
  return [{ name: ALERT_GROUP, rules }];
}

/** The mixin's recording groups, with the modules' own recording rules appended to the main group. */
export function mixinRecordingGroups(c: MixinConfig): RuleGroup[] {
  const x = new AlertContext(c);
  const extra = ALERT_MODULES.flatMap((m) => m.recording?.(x) ?? []);
  return recordingGroups(c).map((g) => (g.name === RECORDING_GROUP ? { ...g, rules: [...g.rules, ...extra] } : g));
}
