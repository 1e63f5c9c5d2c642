/**
 * A declarative policy in JSON or YAML, with the same option names as the code API
 * (`schema/policy.schema.json` describes it for editors). What code can express and a file cannot —
 * functions (`resolveOrigin`, `origin(o, cb)`), stores, loggers, registries — stays in code: merge it in,
 * `corsSentinel({ ...loadPolicyFile('cors.yaml'), originStore })`.
 *
 * A RegExp is written `{ regexp: '^https://pr-\\d+\\.preview\\.example\\.com$', flags: 'i' }`, wherever
 * the code API takes one (`origins`, `origin`, `tenantFrom.path`).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type * as Yaml from 'yaml';
import { describe } from '../origin/describe';
import { validatePolicy } from './validate';
import { CorsConfigError, ProblemCollector, type ConfigProblem } from './errors';
import type { CorsSentinelOptions } from './options';

/** Keys a file may carry that are not options: editors use `$schema` to find the JSON Schema. */
const FILE_ONLY_KEYS = new Set(['$schema']);

/**
 * Reads, parses and validates a policy file. Throws one CorsConfigError listing every problem: an
 * unreadable or malformed file (`invalid_policy_file`, with line and column), and every problem the
 * policy itself has, at the same paths as in code.
 */
export function loadPolicyFile(path: string): CorsSentinelOptions {
  const options = parsePolicyText(readPolicyText(path), path);
  validatePolicy(options); // validated once here, so that a bad file fails where it is named
  return options;
}

function readPolicyText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CorsConfigError([{ path, code: 'invalid_policy_file', message: `cannot read the policy file: ${reason}` }]);
  }
}

let yaml: typeof Yaml | undefined;

/** Parses policy text (YAML 1.2, of which JSON is a subset) into options; `source` names it in problems. */
export function parsePolicyText(text: string, source: string): CorsSentinelOptions {
  // Loaded with the first policy file (1 MB of heap): an application configured in code does not carry it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  yaml ??= require('yaml') as typeof Yaml;
  // One parser for both: unlike JSON.parse, it refuses duplicate keys instead of keeping the last one.
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    path: source, code: 'invalid_policy_file', message: `${extname(source) === '.json' ? 'JSON' : 'YAML'} syntax: ${e.message.split('\n')[0]}`,
  }));
  if (problems.length > 0) throw new CorsConfigError(problems);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CorsConfigError([{ path: source, code: 'invalid_policy_file', message: `expected a mapping of options at the top, got ${describe(data)}` }]);
  }
  const collector = new ProblemCollector();
  const options = revive(data, '', collector) as Record<string, unknown>;
  for (const key of FILE_ONLY_KEYS) delete options[key];
  collector.throwIfAny();
  return options;
}

/** Copies plain data, turning `{ regexp, flags? }` objects into RegExps. */
function revive(value: unknown, at: string, problems: ProblemCollector): unknown {
  if (Array.isArray(value)) return value.map((v, i) => revive(v, `${at}[${i}]`, problems));
  if (typeof value !== 'object' || value === null) return value;
  const o = value as Record<string, unknown>;
  if ('regexp' in o) return regexpOf(o, at, problems);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    // defineProperty: a `__proto__` key stays an (unknown, reported) option instead of a prototype.
    Object.defineProperty(out, k, { value: revive(v, at === '' ? k : `${at}.${k}`, problems), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function regexpOf(o: Record<string, unknown>, at: string, problems: ProblemCollector): RegExp | undefined {
  const extra = Object.keys(o).filter((k) => k !== 'regexp' && k !== 'flags');
  if (typeof o.regexp !== 'string' || (o.flags !== undefined && typeof o.flags !== 'string') || extra.length > 0) {
    problems.add(at, 'invalid_type', 'a RegExp is written { regexp: "<pattern>", flags: "<flags>" } with nothing else');
    return undefined;
  }
  try {
    return new RegExp(o.regexp, o.flags);
  } catch (err) {
    problems.add(at, 'invalid_type', `not a valid RegExp: ${(err as Error).message}`);
    return undefined;
  }
}
