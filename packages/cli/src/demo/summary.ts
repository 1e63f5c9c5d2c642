/**
 * The demo's terminal summary: every few seconds, what happened since the last one — requests by
 * outcome, the top rejected origins, preflights per actual request — read from the demo's own
 * Prometheus registry, so it shows exactly what /metrics exports.
 */
import type { Registry } from 'prom-client';

/** Counter values by series, keyed by their labels. */
export interface Snapshot {
  readonly requests: ReadonlyArray<{ readonly labels: Readonly<Partial<Record<string, string | number>>>; readonly value: number }>;
  readonly nonCors: number;
}

export async function snapshot(registry: Registry, prefix = 'cors_'): Promise<Snapshot> {
  const metrics = await registry.getMetricsAsJSON();
  const values = (name: string) => metrics.find((m) => m.name === prefix + name)?.values ?? [];
  return {
    requests: values('requests_total').map((v) => ({ labels: v.labels, value: v.value })),
    nonCors: values('non_cors_requests_total').reduce((sum, v) => sum + v.value, 0),
  };
}

export interface Summary {
  readonly allowed: number;
  readonly rejected: number;
  readonly preflights: number;
  readonly actual: number;
  readonly nonCors: number;
  readonly topRejected: ReadonlyArray<readonly [origin: string, count: number]>;
}

/** What changed between two snapshots (a series that is new counts from 0). */
export function summarize(before: Snapshot, after: Snapshot, top = 3): Summary {
  const key = (labels: Readonly<Partial<Record<string, string | number>>>) => JSON.stringify(Object.entries(labels).sort());
  const old = new Map(before.requests.map((r) => [key(r.labels), r.value]));
  let allowed = 0;
  let rejected = 0;
  let preflights = 0;
  let actual = 0;
  const byOrigin = new Map<string, number>();
  for (const r of after.requests) {
    const delta = Math.max(0, r.value - (old.get(key(r.labels)) ?? 0));
    if (delta === 0) continue;
    if (r.labels.outcome === 'rejected') {
      rejected += delta;
      const origin = String(r.labels.origin ?? '');
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + delta);
    } else allowed += delta;
    if (r.labels.request_type === 'preflight') preflights += delta;
    else actual += delta;
  }
  const topRejected = [...byOrigin.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
  return { allowed, rejected, preflights, actual, nonCors: Math.max(0, after.nonCors - before.nonCors), topRejected };
}

/** Two or three short lines; `where` is the fixed footer (metrics URL, dashboards, log file). */
export function formatSummary(s: Summary, seconds: number, at: Date): string {
  const time = at.toISOString().slice(11, 19);
  const ratio = s.actual > 0 ? (s.preflights / s.actual).toFixed(2) : '–';
  const lines = [
    `[${time}] last ${seconds}s: ${s.allowed + s.rejected} cross-origin (allowed ${s.allowed}, rejected ${s.rejected}) · ${s.nonCors} non-CORS · ${ratio} preflights per actual request`,
  ];
  if (s.topRejected.length > 0) lines.push(`  top rejected origins: ${s.topRejected.map(([o, n]) => `${o} (${n})`).join(', ')}`);
  return lines.join('\n');
}
