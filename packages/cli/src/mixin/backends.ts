/**
 * The same recording and alert rules laid out for the engine that evaluates them. A central ruler
 * (Mimir, Thanos, vmalert) reads what many clusters remote-write; each has its own limits on rule
 * files, and the prometheus layout (one big recording group, one alert group) breaks on some of them:
 *
 * - Mimir rejects a group of more than 20 rules (its default `ruler_max_rules_per_rule_group`).
 * - vmalert does not reliably read, within one group, a series another rule of the group has just
 *   recorded, and its 1.79 rule parser refuses `keep_firing_for`.
 * - Thanos evaluates against a store that can answer partially; each group names what to do then.
 *
 * Pure: the CLI writes what this returns, the tests check each layout with the engine's own tool
 * where one is installed (promtool, vmalert -dryRun) and with these profiles' limits where not.
 */
import type { AlertingRule, RecordingRule, RuleGroup } from './promql';

export const BACKENDS = ['prometheus', 'mimir', 'thanos', 'vmalert'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface BackendProfile {
  /** Largest group the engine accepts by default (none: unlimited). */
  readonly maxRulesPerGroup?: number;
  /** Recording rules that read another rule's series go to a later group (the engine evaluates groups independently). */
  readonly chainedRecordingInSeparateGroups: boolean;
  readonly keepFiringFor: boolean;
  /** Thanos' `partial_response_strategy`, set on every group. */
  readonly partialResponseStrategy?: 'abort' | 'warn';
}

export const BACKEND_PROFILES: Readonly<Record<Backend, BackendProfile>> = {
  prometheus: { chainedRecordingInSeparateGroups: false, keepFiringFor: true },
  mimir: { maxRulesPerGroup: 20, chainedRecordingInSeparateGroups: false, keepFiringFor: true },
  // Every group aborts on a partial answer: an alert must not fire (or resolve) because a store is
  // down, and a recording rule must not record a rate summed over the clusters that happened to answer,
  // which the ratio and baseline alerts would then read as a drop.
  thanos: { chainedRecordingInSeparateGroups: false, keepFiringFor: true, partialResponseStrategy: 'abort' },
  vmalert: { chainedRecordingInSeparateGroups: true, keepFiringFor: false },
};

/** A rule group as an engine's rule file holds it. */
export interface EngineRuleGroup extends RuleGroup {
  readonly partial_response_strategy?: 'abort' | 'warn';
}

export function isBackend(value: string): value is Backend {
  return (BACKENDS as readonly string[]).includes(value);
}

/** `groups` re-laid for `backend`: split by chained reads and size, alerts rewritten where a feature is missing. */
export function layoutFor(backend: Backend, groups: readonly RuleGroup[]): EngineRuleGroup[] {
  const p = BACKEND_PROFILES[backend];
  let out: RuleGroup[] = [...groups];
  if (p.chainedRecordingInSeparateGroups) out = out.flatMap(splitChained);
  if (p.maxRulesPerGroup !== undefined) out = out.flatMap((g) => chunk(g, p.maxRulesPerGroup as number));
  if (!p.keepFiringFor) out = out.map((g) => ({ ...g, rules: g.rules.map(withoutKeepFiringFor) }));
  return out.map((g) => (p.partialResponseStrategy ? { name: g.name, ...(g.interval ? { interval: g.interval } : {}), partial_response_strategy: p.partialResponseStrategy, rules: g.rules } : g));
}

/**
 * One group per dependency level: a recording rule that reads a series recorded in the same group
 * moves to a later group (`<name>.2`, `<name>.3`…), so each read sees the previous evaluation's
 * result instead of racing the write.
 */
export function splitChained(group: RuleGroup): RuleGroup[] {
  const level = new Map<string, number>();
  const levels: number[] = group.rules.map((rule) => {
    const reads = [...level.entries()].filter(([name]) => readsSeries(rule.expr, name)).map(([, l]) => l + 1);
    const mine = Math.max(0, ...reads);
    if ('record' in rule) level.set(rule.record, Math.max(level.get(rule.record) ?? 0, mine));
    return mine;
  });
  const depth = Math.max(0, ...levels);
  if (depth === 0) return [group];
  return Array.from({ length: depth + 1 }, (_, l) => ({
    ...group,
    name: l === 0 ? group.name : `${group.name}.${l + 1}`,
    rules: group.rules.filter((_, i) => levels[i] === l),
  }));
}

/** Groups of at most `max` rules, in order (`<name>`, `<name>.part2`…). */
export function chunk(group: RuleGroup, max: number): RuleGroup[] {
  if (group.rules.length <= max) return [group];
  const parts: RuleGroup[] = [];
  for (let i = 0; i < group.rules.length; i += max) {
    parts.push({ ...group, name: i === 0 ? group.name : `${group.name}.part${i / max + 1}`, rules: group.rules.slice(i, i + max) });
  }
  return parts;
}

/**
 * vmalert 1.79 has no `keep_firing_for`: the condition itself is held for as long (same labels, so the
 * same alert stays firing), valued as now while it holds and as its last value within the hold after (as Prometheus keeps it).
 * Unlike `keep_firing_for`, the hold also covers a pending alert: a condition shorter than `for:` fires
 * when the hold is longer than `for:` (the mixin holds only alerts over windows longer than their `for:`).
 */
export function withoutKeepFiringFor(rule: RecordingRule | AlertingRule): RecordingRule | AlertingRule {
  if (!('alert' in rule) || rule.keep_firing_for === undefined) return rule;
  const { keep_firing_for: hold, ...rest } = rule;
  return { ...rest, expr: `(\n${rule.expr}\n)\nor last_over_time((\n${rule.expr}\n)[${hold}:1m])` };
}

/** Whether `expr` reads the series `name` (as a whole metric name, not a prefix of a longer one). */
function readsSeries(expr: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-zA-Z0-9_:])${escaped}($|[^a-zA-Z0-9_:])`).test(expr);
}

/** A rule group as read back from a rule file (what the checks below judge). */
export interface RuleFileGroup {
  readonly name: string;
  readonly partial_response_strategy?: string;
  readonly rules: ReadonlyArray<{ readonly expr: string; readonly record?: unknown; readonly alert?: unknown; readonly keep_firing_for?: unknown }>;
}

/** What a layout breaks of `backend`'s limits (empty: none): the check where the engine is not installed. */
export function layoutProblems(backend: Backend, groups: readonly RuleFileGroup[]): string[] {
  const p = BACKEND_PROFILES[backend];
  const problems: string[] = [];
  const names = groups.map((g) => g.name);
  for (const name of new Set(names)) if (names.filter((n) => n === name).length > 1) problems.push(`group ${name} appears twice`);
  for (const g of groups) {
    if (p.maxRulesPerGroup !== undefined && g.rules.length > p.maxRulesPerGroup) problems.push(`group ${g.name} has ${g.rules.length} rules (limit ${p.maxRulesPerGroup})`);
    if (p.partialResponseStrategy !== undefined && g.partial_response_strategy !== p.partialResponseStrategy) problems.push(`group ${g.name} has no partial_response_strategy: ${p.partialResponseStrategy}`);
    const recorded = g.rules.flatMap((r) => (typeof r.record === 'string' ? [r.record] : []));
    for (const r of g.rules) {
      if (!p.keepFiringFor && r.keep_firing_for !== undefined) problems.push(`${g.name}/${String(r.alert)}: keep_firing_for is not supported`);
      if (!p.chainedRecordingInSeparateGroups) continue;
      for (const name of recorded) if (readsSeries(r.expr, name)) problems.push(`${g.name}: a rule reads ${name}, recorded in the same group`);
    }
  }
  return problems;
}
