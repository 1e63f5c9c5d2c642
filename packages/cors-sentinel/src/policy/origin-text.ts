import type { OriginEntry } from '../origin/matcher';

/** A configured origin entry as it was written, for summaries and explain(). */
export function entryText(e: OriginEntry): string {
  switch (e.kind) {
    case 'exact': return e.origin;
    case 'wildcard': case 'regexp': return e.pattern;
    case 'any': return '*';
    case 'null': return 'null';
  }
}
