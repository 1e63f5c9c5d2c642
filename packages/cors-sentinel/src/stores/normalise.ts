import { normaliseConfiguredOrigin } from '../origin/parse';

/**
 * Normalises origins read from a store the way configured origins are (case, default port,
 * punycode). Rows that are not origins (paths, typos, `null`, `file://`) are dropped: a store must not be a way
 * around the rules that the configuration enforces.
 */
export function normaliseStoredOrigins(list: Iterable<string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const raw of list) {
    const result = normaliseConfiguredOrigin(raw);
    if (result.ok && result.parsed.scheme !== 'file') out.add(result.parsed.origin);
  }
  return out;
}
