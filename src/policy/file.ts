/**
 * Minimal policy-file reader (JSON or YAML, the option names of `CorsSentinelOptions`), so that the
 * proxy and the log observer can be configured without code. The port work ships the full reader
 * (JSON Schema, RegExp syntax); this file keeps its signature. Validation is the compiler's job:
 * the result goes through `createSentinel()`/`createObserver()`, which report every problem at once.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { CorsSentinelOptions } from './options';
import { CorsConfigError } from './errors';

export function loadPolicyFile(path: string): CorsSentinelOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CorsConfigError([{ path: 'policyFile', code: 'invalid_type', message: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CorsConfigError([{ path: 'policyFile', code: 'invalid_type', message: `${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CorsConfigError([{ path: 'policyFile', code: 'invalid_type', message: `${path} must hold an options object (origins, routes, …)` }]);
  }
  return parsed as CorsSentinelOptions;
}
