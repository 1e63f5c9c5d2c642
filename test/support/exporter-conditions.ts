/**
 * The "is there an exporter" conditions of the shipped monitoring: every `absent(...)` in an alert and
 * every `label_values(...)` template variable of a dashboard. An app that runs cors-sentinel (enforcing
 * or only observing) must satisfy all of them, or an alert fires and the dashboards stay blank.
 * Read from the generated files, so new alerts and variables are checked without touching the tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface ExporterCondition {
  /** Where it comes from, e.g. `alert CorsExporterAbsent` or `cors-overview.json variable job`. */
  readonly source: string;
  /** A PromQL selector that must return series. */
  readonly selector: string;
  /** For dashboard variables: the label whose values fill the dropdown. */
  readonly label?: string;
}

/** The argument of every `absent(` in `expr` (balanced parentheses). */
export function absentArguments(expr: string): string[] {
  const out: string[] = [];
  for (let at = expr.indexOf('absent('); at !== -1; at = expr.indexOf('absent(', at + 1)) {
    if (/[a-z_]/i.test(expr[at - 1] ?? '')) continue; // e.g. absent_over_time is a different function
    let depth = 0;
    const start = at + 'absent('.length;
    for (let i = start; i < expr.length; i++) {
      if (expr[i] === '(') depth++;
      else if (expr[i] === ')' && depth-- === 0) {
        out.push(expr.slice(start, i).trim());
        break;
      }
    }
  }
  return out;
}

interface RuleFile {
  groups?: Array<{ rules?: Array<{ alert?: string; expr?: string }> }>;
}
interface Dashboard {
  templating?: { list?: Array<{ name?: string; type?: string; query?: string | { query?: string } }> };
}

export function exporterConditions(root: string): ExporterCondition[] {
  const out: ExporterCondition[] = [];
  const alertDir = path.join(root, 'alerts');
  for (const file of readdirSync(alertDir).filter((f) => f.endsWith('.yml'))) {
    const rules = parse(readFileSync(path.join(alertDir, file), 'utf8')) as RuleFile;
    for (const rule of (rules.groups ?? []).flatMap((g) => g.rules ?? [])) {
      if (rule.alert === undefined || rule.expr === undefined) continue;
      for (const selector of absentArguments(rule.expr)) out.push({ source: `alert ${rule.alert}`, selector });
    }
  }
  const dashboardDir = path.join(root, 'dashboards');
  for (const file of readdirSync(dashboardDir).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(path.join(dashboardDir, file), 'utf8')) as Dashboard;
    for (const variable of dashboard.templating?.list ?? []) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      const m = query?.match(/^\s*label_values\(\s*(.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s);
      if (m) out.push({ source: `${file} variable ${variable.name}`, selector: m[1] as string, label: m[2] as string });
    }
  }
  return out;
}

/** Grafana's variables and macros replaced the way a dashboard with one job selected sends them. */
export function substituteVariables(selector: string, job: string): string {
  return selector
    .replaceAll('$__rate_interval', '1m')
    .replace(/\$\{?job\}?/g, job)
    .replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, '.*');
}

const TARGET_LABELS = new Set(['job', 'instance', 'cluster', 'namespace', 'pod']);

/**
 * Whether a scrape (Prometheus text) has a sample matching `selector`, ignoring the labels that
 * Prometheus adds at scrape time (job, instance, …). Handles `metric{a="x", b=~"re", c!="y"}`.
 */
export function scrapeSatisfies(text: string, selector: string): boolean {
  const m = selector.trim().match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?$/s);
  if (!m) throw new Error(`not a plain selector: ${selector}`);
  const [, metric, body = ''] = m;
  const matchers = [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)]
    .filter(([, name]) => !TARGET_LABELS.has(name as string))
    .map(([, name, op, value]) => ({ name: name as string, op: op as string, value: JSON.parse(`"${value as string}"`) as string }));
  for (const line of text.split('\n')) {
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /);
    if (!sample || sample[1] !== metric) continue;
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]));
    const ok = matchers.every(({ name, op, value }) => {
      const actual = labels[name] ?? '';
      if (op === '=') return actual === value;
      if (op === '!=') return actual !== value;
      const full = new RegExp(`^(?:${value})$`).test(actual);
      return op === '=~' ? full : !full;
    });
    if (ok) return true;
  }
  return false;
}
