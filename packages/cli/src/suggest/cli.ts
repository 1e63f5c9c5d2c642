/**
 * `cors-sentinel suggest`: a least-privilege candidate policy from observed evidence (docs/suggest.md).
 * Reads evidence files, classifies every origin, writes the candidate (a `reportOnly` section beside
 * the current policy with `--policy`), prints how complete the evidence is, the tiers and the diff,
 * and with `--report` the same as JSON. It only suggests: nothing is enforced until a person does.
 */
import { parseArgs } from 'node:util';
import { parseRequestOrigin } from 'cors-sentinel/internal/origin/parse';
import { CorsConfigError } from 'cors-sentinel/internal/policy/errors';
import { nonNegativeInt, UsageError } from '../cli-args';
import { buildCandidate } from './candidate';
import { classifyAll } from './classify';
import { completenessOf, describeCompleteness } from './completeness';
import { loadCurrentPolicy, normalised, trustOf, type CurrentPolicy } from './current-policy';
import { describeDiff, diffPolicies } from './diff';
import { readEvidenceFiles, readEvidenceFilesInParallel, SuggestInputError, type EvidenceView } from './evidence-input';
import { renderCandidate, writeCandidate } from './output';
import { viewOf } from './policy-view';
import { describeTiers, writeReport, type SuggestReport } from './report';
import { widen } from './wildcards';

export const DEFAULT_MIN_DAYS = 30;

const USAGE = `usage: cors-sentinel suggest --evidence FILE [--evidence FILE ...] --out CANDIDATE.yaml
                             [--policy CURRENT] [--report REPORT.json] [--trust DOMAIN ...] [--keep ORIGIN ...]
                             [--min-days N] [--now ISO-TIME]

  --evidence  an evidence file (docs/evidence.md); repeat for several instances or periods: they are merged
  --out       where to write the candidate policy (YAML); with --policy: the current policy with the
              candidate as its reportOnly section
  --policy    the policy in force: its origins are trusted, diffed against, and reported unused when not seen
  --report    write one JSON entry per origin (tier, decision, routes, counts, days, reasons)
  --trust     a domain you own (example.com): origins under it are allowed on evidence; others are reviewed
  --keep      an origin to keep whatever the evidence says (in a YAML policy: \`# ${'cors-sentinel: keep'}\`)
  --min-days  recorded days needed before a configured origin not seen is called unused (default ${DEFAULT_MIN_DAYS})
  --now       the end of the window (default: now), for evidence recorded earlier

Exits 0 having written the candidate, 1 on an unreadable or invalid file, 2 on a usage error.`;

export interface SuggestOptions {
  readonly evidence: readonly string[];
  readonly out: string;
  readonly policy?: string | undefined;
  readonly report?: string | undefined;
  readonly trust?: readonly string[];
  readonly keep?: readonly string[];
  readonly minDays?: number;
  readonly nowMs?: number;
}

export interface SuggestResult extends SuggestReport {
  /** What `suggest` prints. */
  readonly lines: readonly string[];
  readonly candidateText: string;
}

/** The whole run, without the terminal: tests call this. Throws SuggestInputError or UsageError. */
export function suggest(o: SuggestOptions): SuggestResult {
  const current: CurrentPolicy | undefined = o.policy === undefined ? undefined : loadCurrentPolicy(o.policy);
  return suggestFrom(readEvidenceFiles(o.evidence), current, o);
}

/** The same run, the evidence read by worker threads when there is much of it (the command does this). */
export async function suggestInParallel(o: SuggestOptions, threads?: number): Promise<SuggestResult> {
  const current: CurrentPolicy | undefined = o.policy === undefined ? undefined : loadCurrentPolicy(o.policy);
  return suggestFrom(await readEvidenceFilesInParallel(o.evidence, threads), current, o);
}

/** Everything after reading the evidence (bench/suggest.js times the two apart). */
export function suggestFrom(view: EvidenceView, current: CurrentPolicy | undefined, o: SuggestOptions): SuggestResult {
  const completeness = completenessOf(view, o.nowMs ?? Date.now(), o.minDays ?? DEFAULT_MIN_DAYS);
  const trust = trustOf(o.trust ?? [], current);
  const pinned = new Set([...(o.keep ?? []).map(normalised), ...(current?.marked ?? [])]);
  const classified = classifyAll({ view, completeness, trust, current, pinned });
  const { wildcards, notes } = widen(classified, trust);
  const { options: candidate, notes: routeNotes } = buildCandidate(classified, view, current);
  const summary = `${completeness.from ?? '-'} .. ${completeness.to ?? '-'}, ${completeness.recordedDays} recorded day(s), ${completeness.instances} instance(s)`;
  const rendered = renderCandidate(candidate, current, classified, summary);
  try {
    writeCandidate(o.out, rendered.text);
  } catch (err) {
    if (!(err instanceof CorsConfigError)) throw err;
    // A candidate the library refuses is a bug here, never the user's: say so with the problems.
    throw new SuggestInputError(`cors-sentinel suggest: the candidate is not a valid policy (please report this): ${err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  const diff = diffPolicies(current?.view, viewOf(candidate));
  const lines = [
    ...describeCompleteness(completeness),
    ...describeTiers(classified),
    ...wildcards.map((w) => `wildcard ${w.pattern}: ${w.siblings.length} observed siblings`),
    ...notes,
    ...routeNotes,
    ...describeDiff(diff, current?.path ?? 'an empty policy (no --policy)'),
    current === undefined
      ? `wrote ${o.out}: the candidate policy`
      : `wrote ${o.out}: ${current.path} unchanged, with the candidate as its reportOnly section${rendered.replacedReportOnly ? ' (replacing the reportOnly section it had)' : ''}`,
  ];
  const report: SuggestReport = { generatedAt: new Date(o.nowMs ?? Date.now()).toISOString(), completeness, wildcards, notes: [...notes, ...routeNotes], diff, origins: classified };
  if (o.report !== undefined) writeReport(o.report, report);
  return { ...report, lines, candidateText: rendered.text };
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      evidence: { type: 'string', multiple: true }, policy: { type: 'string' }, out: { type: 'string' }, report: { type: 'string' },
      trust: { type: 'string', multiple: true }, keep: { type: 'string', multiple: true }, 'min-days': { type: 'string' }, now: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}: evidence files are given with --evidence`);
  if (values.evidence === undefined || values.evidence.length === 0) throw new UsageError('--evidence FILE is required (one or more)');
  if (values.out === undefined) throw new UsageError('--out CANDIDATE.yaml is required');
  for (const origin of values.keep ?? []) {
    if (origin !== 'null' && parseRequestOrigin(normalised(origin)) === undefined) throw new UsageError(`--keep ${JSON.stringify(origin)}: expected an origin such as https://app.example.com`);
  }
  const nowMs = values.now === undefined ? Date.now() : Date.parse(values.now);
  if (Number.isNaN(nowMs)) throw new UsageError(`--now ${JSON.stringify(values.now)}: expected an ISO time such as 2026-03-01T00:00:00Z`);
  const result = await suggestInParallel({
    evidence: values.evidence, out: values.out, policy: values.policy, report: values.report, trust: values.trust ?? [], keep: values.keep ?? [],
    minDays: nonNegativeInt(values['min-days'], '--min-days', DEFAULT_MIN_DAYS), nowMs,
  });
  console.log(result.lines.join('\n'));
}
