/**
 * Unknown keys, nested ones included: `metrics: { originLabelLimt: 5 }` silently keeps the default
 * limit unless someone says so. Every unknown key is a problem in the one CorsConfigError, with the
 * closest known key as a suggestion.
 *
 * The key lists are typed by the options interfaces, so a new option that is not listed fails to compile.
 */
import { describe } from '../origin/matcher';
import type { ProblemCollector } from './errors';
import type { LoggingOptions, MetricsAuth, MetricsOptions } from './options';

/** Every key of T (of each member, for a union), listed once: a key missing here fails to compile. */
type KeyList<T> = Record<T extends unknown ? keyof T : never, true>;

const METRICS_KEY_LIST: KeyList<MetricsOptions> = { registry: true, prefix: true, originLabelLimit: true, originLabelHoldMs: true, cluster: true, preflightBuckets: true };
const LOGGING_KEY_LIST: KeyList<LoggingOptions> = { maxPerInterval: true, intervalMs: true, level: true };
const AUTH_KEY_LIST: KeyList<MetricsAuth> = { bearerToken: true, username: true, password: true };

export const METRICS_KEYS: readonly string[] = Object.keys(METRICS_KEY_LIST);
export const LOGGING_KEYS: readonly string[] = Object.keys(LOGGING_KEY_LIST);
export const AUTH_KEYS: readonly string[] = Object.keys(AUTH_KEY_LIST);

/** Reports every key of `source` not in `allowed` under `prefix`, suggesting the closest allowed key. */
export function checkKeys(source: object, allowed: ReadonlySet<string> | readonly string[], prefix: string, problems: ProblemCollector): void {
  const known = allowed instanceof Set ? allowed : new Set(allowed as readonly string[]);
  for (const key of Object.keys(source)) {
    if (!known.has(key)) problems.add(`${prefix}${key}`, 'unknown_option', `unknown option ${JSON.stringify(key)}${suggestion(key, [...known])}`);
  }
}

/** `metrics` and `logging`: objects (or `false` for metrics) whose keys are all known. */
export function checkNestedOptions(options: { metrics?: unknown; logging?: unknown }, problems: ProblemCollector): void {
  const nested: [string, unknown, readonly string[], boolean][] = [
    ['metrics', options.metrics, METRICS_KEYS, true],
    ['logging', options.logging, LOGGING_KEYS, false],
  ];
  for (const [name, value, keys, falseAllowed] of nested) {
    if (value === undefined || (falseAllowed && value === false)) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.add(name, 'invalid_type', `expected an options object${falseAllowed ? ' or false' : ''}, got ${describe(value)}`);
      continue;
    }
    checkKeys(value, keys, `${name}.`, problems);
  }
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
