/**
 * Headers the user sends with actual requests (a session: Cookie, Authorization) and how their values
 * are kept out of every output. Values come from `--header 'Name: value'`, a file or an environment
 * variable (so secrets stay out of shell history); problems name the header and the source, never
 * the value.
 */
import { readFileSync } from 'node:fs';
import { isToken } from 'cors-sentinel/internal/http/tokens';

export type SentHeader = readonly [name: string, value: string];

/** Headers the prober itself controls, or that would change how the request is framed. */
const RESERVED = new Set(['origin', 'host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'keep-alive', 'expect', 'content-type', 'proxy-connection']);

/** Field values as RFC 9110 allows them: visible characters, spaces and tabs (no CR, LF or NUL). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function checkSentHeaders(headers: readonly SentHeader[]): string[] {
  const problems: string[] = [];
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (!isToken(name)) problems.push(`a header to send has an invalid name (${JSON.stringify(name.slice(0, 40))})`);
    else if (RESERVED.has(n) || n.startsWith('access-control-')) problems.push(`header ${n} cannot be sent: the prober sets it itself (use --content-type for the body's type)`);
    else if (!FIELD_VALUE.test(value)) problems.push(`the value of header ${n} has characters a header cannot carry (line breaks, control characters): its value is not shown`);
  }
  return problems;
}

/**
 * `Name: value` lines (a file's or an environment variable's content); blank lines and `#` comments
 * are skipped. `source` names where they came from in problems.
 */
export function parseHeaderLines(text: string, source: string): { headers: SentHeader[]; problems: string[] } {
  const headers: SentHeader[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const parsed = parseHeaderLine(line);
    if (parsed) headers.push(parsed);
    else problems.push(`${source} line ${i + 1}: expected "Name: value" (the line is not shown, it may hold a secret)`);
  });
  return { headers, problems };
}

/**
 * Reads "Name: value" lines from a file and/or an environment variable; `label(kind)` names the
 * option or config key in problems (`--header-file`, `modules.web.headerEnv`).
 */
export function readHeaderSources(file: string | undefined, envVar: string | undefined, label: (kind: 'file' | 'env') => string): { headers: SentHeader[]; problems: string[] } {
  const headers: SentHeader[] = [];
  const problems: string[] = [];
  const add = (text: string, source: string): void => {
    const lines = parseHeaderLines(text, source);
    headers.push(...lines.headers);
    problems.push(...lines.problems);
  };
  if (file !== undefined) {
    try {
      add(readFileSync(file, 'utf8'), `${label('file')} ${file}`);
    } catch (err) {
      problems.push(`${label('file')} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (envVar !== undefined) {
    const text = process.env[envVar];
    if (text === undefined || text.trim() === '') problems.push(`${label('env')} ${envVar}: the environment variable is not set or empty`);
    else add(text, `${label('env')} ${envVar}`);
  }
  return { headers, problems };
}

export function parseHeaderLine(line: string): SentHeader | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

/** Never redacted as a fragment: shorter pieces would blank ordinary words of the report. */
const MIN_FRAGMENT = 8;

/**
 * Pieces of the values that a server could echo on their own: the whole value, each cookie's value,
 * the credentials after an auth scheme (`Bearer …`).
 */
export function secretFragments(headers: readonly SentHeader[]): string[] {
  const out = new Set<string>();
  for (const [, value] of headers) {
    if (value !== '') out.add(value);
    for (const part of value.split(/[;,]/)) {
      const piece = part.trim();
      const eq = piece.indexOf('=');
      for (const candidate of [piece, eq >= 0 ? piece.slice(eq + 1) : '', piece.split(/\s+/).slice(1).join(' ')]) if (candidate.length >= MIN_FRAGMENT) out.add(candidate);
    }
  }
  // Longest first, so that a value is replaced whole before its pieces are.
  return [...out].sort((a, b) => b.length - a.length);
}

export const REDACTED = '[redacted]';

/** Replaces every secret fragment in every string of `value` (a report), leaving its shape alone. */
export function redact<T>(value: T, fragments: readonly string[]): T {
  if (fragments.length === 0) return value;
  const scrub = (s: string): string => fragments.reduce((acc, f) => acc.split(f).join(REDACTED), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
