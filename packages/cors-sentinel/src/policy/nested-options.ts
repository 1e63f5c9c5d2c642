/**
 * Unknown keys, nested ones included: `metrics: { originLabelLimt: 5 }` silently keeps the default
 * limit unless someone says so. Every unknown key is a problem in the one CorsConfigError, with the
 * closest known key as a suggestion.
 *
 * The key lists are typed by the options interfaces, so a new option that is not listed fails to compile.
 */
import { describe } from '../origin/describe';
import type { ProblemCollector } from './errors';
import type { EvidenceOptions, LoggingOptions, MetricsAuth, MetricsOptions } from './options';

/** Every key of T (of each member, for a union), listed once: a key missing here fails to compile. */
type KeyList<T> = Record<T extends unknown ? keyof T : never, true>;

const METRICS_KEY_LIST: KeyList<MetricsOptions> = { registry: true, prefix: true, originLabelLimit: true, originLabelHoldMs: true, cluster: true, preflightBuckets: true, meterProvider: true };
const LOGGING_KEY_LIST: KeyList<LoggingOptions> = { maxPerInterval: true, intervalMs: true, level: true };
const AUTH_KEY_LIST: KeyList<MetricsAuth> = { bearerToken: true, username: true, password: true };
const EVIDENCE_KEY_LIST: KeyList<EvidenceOptions> = { file: true, flushIntervalMs: true, instance: true, now: true };

export const METRICS_KEYS: readonly string[] = Object.keys(METRICS_KEY_LIST);
export const LOGGING_KEYS: readonly string[] = Object.keys(LOGGING_KEY_LIST);
export const AUTH_KEYS: readonly string[] = Object.keys(AUTH_KEY_LIST);
export const EVIDENCE_KEYS: readonly string[] = Object.keys(EVIDENCE_KEY_LIST);

/** Reports every key of `source` not in `allowed` under `prefix`, suggesting the closest allowed key. */
export function checkKeys(source: object, allowed: ReadonlySet<string> | readonly string[], prefix: string, problems: ProblemCollector): void {
  const known = allowed instanceof Set ? allowed : new Set(allowed as readonly string[]);
  for (const key of Object.keys(source)) {
    if (!known.has(key)) problems.add(`${prefix}${key}`, 'unknown_option', `unknown option ${JSON.stringify(key)}${suggestion(key, [...known])}`);
  }
}

/** `metrics`, `logging` and `evidence`: objects (or `false` for metrics) whose keys are all known and whose values are usable; `logger`. */
export function checkNestedOptions(options: { metrics?: unknown; logging?: unknown; logger?: unknown; evidence?: unknown }, problems: ProblemCollector): void {
  const nested: [string, unknown, readonly string[], boolean][] = [
    ['metrics', options.metrics, METRICS_KEYS, true],
    ['logging', options.logging, LOGGING_KEYS, false],
    ['evidence', options.evidence, EVIDENCE_KEYS, false],
  ];
  for (const [name, value, keys, falseAllowed] of nested) {
    if (value === undefined || (falseAllowed && value === false)) continue;
    if (!isObject(value)) {
      problems.add(name, 'invalid_type', `expected an options object${falseAllowed ? ' or false' : ''}, got ${describe(value)}`);
      continue;
    }
    checkKeys(value, keys, `${name}.`, problems);
  }
  if (isObject(options.metrics)) checkMetricsValues(options.metrics, problems);
  if (isObject(options.logging)) checkLoggingValues(options.logging, problems);
  if (isObject(options.evidence)) checkEvidenceValues(options.evidence, problems);
  const logger = (options as { logger?: unknown }).logger;
  if (logger !== undefined && logger !== false && !(isObject(logger) && typeof logger.log === 'function')) {
    problems.add('logger', 'invalid_type', `expected a winston logger or false, got ${describe(logger)}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A metric name prefix Prometheus accepts (names are `prefix` + `requests_total`, …). */
export const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Values of `metrics`: the runtime would otherwise refuse them one at a time, or not at all. */
function checkMetricsValues(m: Record<string, unknown>, problems: ProblemCollector): void {
  const { registry, prefix, originLabelLimit, originLabelHoldMs, cluster, preflightBuckets } = m;
  checkMeterProvider(m, problems);
  if (registry !== undefined && !(isObject(registry) && typeof registry.registerMetric === 'function' && typeof registry.getSingleMetric === 'function')) {
    problems.add('metrics.registry', 'invalid_type', `expected a prom-client Registry, got ${describe(registry)}`);
  }
  if (prefix !== undefined && !(typeof prefix === 'string' && METRIC_PREFIX.test(prefix))) {
    problems.add('metrics.prefix', 'invalid_type', `expected a metric name prefix (letters, digits, _ and :, not starting with a digit), got ${describe(prefix)}`);
  }
  wholeNumber(originLabelLimit, 0, 'metrics.originLabelLimit', 'a whole number ≥ 0 (default 50)', problems);
  wholeNumber(originLabelHoldMs, 100, 'metrics.originLabelHoldMs', 'a whole number of milliseconds ≥ 100 (default 60000)', problems);
  if (cluster !== undefined && typeof cluster !== 'boolean') problems.add('metrics.cluster', 'invalid_type', `expected true or false, got ${describe(cluster)}`);
  if (preflightBuckets !== undefined) {
    const ok = Array.isArray(preflightBuckets) && preflightBuckets.length > 0 &&
      preflightBuckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > (preflightBuckets[i - 1] as number)));
    if (!ok) problems.add('metrics.preflightBuckets', 'invalid_number', `expected upper bounds in seconds, positive and increasing (e.g. [0.001, 0.01, 0.1]), got ${describe(preflightBuckets)}`);
  }
}

/** An OTel MeterProvider replaces the registry: the two (and cluster aggregation, which needs a registry) exclude each other. */
function checkMeterProvider(m: Record<string, unknown>, problems: ProblemCollector): void {
  const provider = m.meterProvider;
  if (provider === undefined) return;
  if (!(isObject(provider) && typeof provider.getMeter === 'function')) {
    problems.add('metrics.meterProvider', 'invalid_type', `expected an OpenTelemetry MeterProvider (with getMeter()), got ${describe(provider)}`);
    return;
  }
  if (m.registry !== undefined) problems.add('metrics.meterProvider', 'invalid_type', 'metrics.registry and metrics.meterProvider exclude each other: pass one (the series go to the MeterProvider\'s readers)');
  if (m.cluster === true) problems.add('metrics.meterProvider', 'invalid_type', 'metrics.cluster aggregates prom-client registries; with metrics.meterProvider let each worker export through its own MeterProvider');
  if (typeof m.prefix === 'string' && !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(m.prefix)) {
    problems.add('metrics.prefix', 'invalid_type', `with metrics.meterProvider the prefix must be letters, digits and _ (OTel instrument names), got ${describe(m.prefix)}`);
  }
}

function checkLoggingValues(l: Record<string, unknown>, problems: ProblemCollector): void {
  wholeNumber(l.maxPerInterval, 0, 'logging.maxPerInterval', 'a whole number of lines ≥ 0 (default 10)', problems);
  wholeNumber(l.intervalMs, 1, 'logging.intervalMs', 'a whole number of milliseconds ≥ 1 (default 10000)', problems);
  if (l.level !== undefined && typeof l.level !== 'string') problems.add('logging.level', 'invalid_type', `expected a logger level such as "warn", got ${describe(l.level)}`);
}

function checkEvidenceValues(e: Record<string, unknown>, problems: ProblemCollector): void {
  if (!(typeof e.file === 'string' && e.file.trim() !== '' && !e.file.includes('\0'))) {
    problems.add('evidence.file', 'invalid_type', `expected the path of the evidence file (e.g. "cors-evidence.json"), got ${describe(e.file)}`);
  }
  wholeNumber(e.flushIntervalMs, 1_000, 'evidence.flushIntervalMs', 'a whole number of milliseconds ≥ 1000 (default 60000)', problems);
  if (e.instance !== undefined && !(typeof e.instance === 'string' && e.instance.trim() !== '')) {
    problems.add('evidence.instance', 'invalid_type', `expected a non-empty instance name (default hostname:pid), got ${describe(e.instance)}`);
  }
  if (e.now !== undefined && typeof e.now !== 'function') problems.add('evidence.now', 'invalid_type', `expected a function returning epoch milliseconds, got ${describe(e.now)}`);
}

function wholeNumber(value: unknown, min: number, path: string, expected: string, problems: ProblemCollector): void {
  if (value === undefined) return;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) problems.add(path, 'invalid_number', `expected ${expected}, got ${describe(value)}`);
}

/** `; did you mean "x"?` for the closest known key within a small edit distance, else ''. */
export function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : `; did you mean ${JSON.stringify(best)}?`;
}

/** Levenshtein distance (two rows): keys are short, so this is cheap and runs only on unknown keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
