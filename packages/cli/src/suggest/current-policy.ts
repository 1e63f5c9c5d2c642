/**
 * The current policy (`--policy`), what `suggest` trusts, and which origins are pinned.
 *
 * Pinned: an origin a person keeps whatever the evidence says (a disaster-recovery console, a yearly
 * audit portal). It is marked in a YAML policy file with a trailing comment on its list item,
 * `- https://dr.example.com  # cors-sentinel: keep` (on a flow list, `[a, b]  # cors-sentinel: keep`
 * pins every origin of that list), or given as `--keep ORIGIN` (the only way for a JSON policy file,
 * which has no comments; the policy schema refuses unknown keys, so there is no field for it).
 *
 * Trusted: the origins the current policy names (exact, wildcard, RegExp) and the domains given with
 * `--trust DOMAIN` (that domain and every host under it). Only trusted origins are allowed on evidence
 * alone; a steady origin nobody trusts (a third-party integrator) is put under review.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, visit, isScalar, type Document } from 'yaml';
import { getDomain, getPublicSuffix } from 'tldts';
import { normaliseConfiguredOrigin, parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import { CorsConfigError } from 'cors-sentinel/internal/policy/errors';
import { loadPolicyFile } from 'cors-sentinel/internal/policy/file';
import type { CorsSentinelOptions } from 'cors-sentinel/internal/policy/options';
import { UsageError } from '../cli-args';
import { SuggestInputError } from './evidence-input';
import { configuredMatch, viewOf, type PolicyView } from './policy-view';

export const KEEP_MARKER = 'cors-sentinel: keep';

export interface CurrentPolicy {
  readonly path: string;
  readonly text: string;
  readonly options: CorsSentinelOptions;
  readonly view: PolicyView;
  /** Origins marked `# cors-sentinel: keep` in the file. */
  readonly marked: ReadonlySet<string>;
}

export function loadCurrentPolicy(path: string): CurrentPolicy {
  let options: CorsSentinelOptions;
  try {
    options = loadPolicyFile(path);
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    const problems = err.problems.map((p) => `  ✗ ${p.path || '(top)'}: ${p.message} [${p.code}]`).join('\n');
    throw new SuggestInputError(`cors-sentinel suggest: --policy ${path}: ${err.problems.length} problem(s)\n${problems}`);
  }
  const text = readFileSync(path, 'utf8');
  return { path, text, options, view: viewOf(options), marked: keepMarked(parseDocument(text)) };
}

/** Origins whose list item (or whole flow list) carries the keep marker in a trailing comment. */
export function keepMarked(doc: Document): Set<string> {
  const out = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string') out.add(normalised(value));
  };
  visit(doc, {
    Scalar(_key, node) {
      if (node.comment?.includes(KEEP_MARKER)) add(node.value);
    },
    Seq(_key, node) {
      if (node.comment?.includes(KEEP_MARKER)) for (const item of node.items) if (isScalar(item)) add(item.value);
    },
  });
  return out;
}

/** An origin as the engine compares it (lower case, default port elided, punycode). */
export function normalised(origin: string): string {
  const r = normaliseConfiguredOrigin(origin);
  return r.ok ? r.parsed.origin : origin;
}

export interface Trust {
  /** Registrable domains (and `--trust` domains) to compare look-alikes with. */
  readonly domains: readonly string[];
  /** Why `origin` is trusted, or undefined. */
  why(origin: string): string | undefined;
  covers(origin: string): boolean;
}

export function trustOf(trustFlags: readonly string[], current: CurrentPolicy | undefined): Trust {
  const trusted = trustFlags.map((d) => trustedDomain(d));
  const domains = new Set<string>(trusted);
  for (const route of current?.view.routes.values() ?? []) {
    for (const entry of route.origins) {
      const host = /^[a-z][a-z0-9+.-]*:\/\/(?:\*\.)?([^/:]+)/.exec(entry)?.[1];
      const domain = host === undefined ? undefined : getDomain(host, { allowPrivateDomains: true });
      if (domain) domains.add(domain);
    }
  }
  // Asked once or twice per origin (hundreds of thousands): the texts are made once per domain.
  const because = trusted.map((d) => `under the trusted domain ${d} (--trust)`);
  const why = (origin: string): string | undefined => {
    const configured = current === undefined ? undefined : configuredMatch(current.view, origin);
    if (configured !== undefined) return `allowed by the current policy (${configured})`;
    const host = parseRequestOrigin(origin)?.host;
    const d = host === undefined ? -1 : trusted.findIndex((t) => host === t || isUnder(host, t));
    return d === -1 ? undefined : because[d];
  };
  return { domains: [...domains], why, covers: (origin) => why(origin) !== undefined };
}

/** Whether `host` ends with `.domain` (without making that string). */
function isUnder(host: string, domain: string): boolean {
  return host.length > domain.length && host.endsWith(domain) && host.charCodeAt(host.length - domain.length - 1) === 0x2e;
}

/** `--trust example.com` (also accepted: `https://example.com`, `*.example.com`): a lower-case host name. */
function trustedDomain(value: string): string {
  const host = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\*\./, '').replace(/\/.*$/, '').toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) throw new UsageError(`--trust ${JSON.stringify(value)}: expected a domain name such as example.com`);
  if (getPublicSuffix(host, { allowPrivateDomains: true }) === host) throw new UsageError(`--trust ${host} is a public suffix: anyone can register a site under it; name your own domain`);
  return host;
}
