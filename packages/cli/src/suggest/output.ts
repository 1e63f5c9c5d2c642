/**
 * Writing the candidate: alone (a policy file of its own), or with `--policy` as the `reportOnly`
 * candidate beside the current policy, which stays in force unchanged (its text, comments included,
 * is kept). The text is validated with the library's own loader before it is written, so `check` and
 * `loadPolicyFile` accept what `suggest` writes.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { Document, parseDocument } from 'yaml';
import { parsePolicyText } from 'cors-sentinel/internal/policy/file';
import { validatePolicy } from 'cors-sentinel/internal/policy/validate';
import type { ReportOnlyPolicyOptions } from 'cors-sentinel/internal/policy/options';
import type { Classified } from './classify';
import type { CurrentPolicy } from './current-policy';

export interface CandidateText {
  readonly text: string;
  /** A reportOnly section the current policy already had, now replaced. */
  readonly replacedReportOnly: boolean;
}

/** The comment at the top of the candidate: where it came from, and who is left out for a person. */
function headerComment(classified: readonly Classified[], summary: string): string {
  const review = classified.filter((c) => c.decision === 'review');
  const deny = classified.filter((c) => c.decision === 'deny');
  const lines = [
    ` Suggested by \`cors-sentinel suggest\` from observed evidence: ${summary}`,
    ' Review it, run it report-only (docs/suggest.md), then enforce it.',
  ];
  if (review.length > 0) {
    lines.push(` Left out, for a person to decide (${review.length}; see the --report file for the evidence):`);
    for (const c of review.slice(0, 50)) lines.push(`   review  ${c.origin}  (${c.tier}: ${c.reasons[c.reasons.length - 1] ?? ''})`);
    if (review.length > 50) lines.push(`   … and ${review.length - 50} more`);
  }
  if (deny.length > 0) lines.push(` Denied as attack-shaped: ${deny.length} origin(s) (listed in the --report file).`);
  return lines.join('\n');
}

export function renderCandidate(candidate: ReportOnlyPolicyOptions, current: CurrentPolicy | undefined, classified: readonly Classified[], summary: string): CandidateText {
  const comment = headerComment(classified, summary);
  if (current === undefined) {
    const doc = new Document(candidate);
    doc.commentBefore = comment;
    return { text: doc.toString({ lineWidth: 0 }), replacedReportOnly: false };
  }
  const doc = parseDocument(current.text);
  const replacedReportOnly = doc.has('reportOnly');
  const node = doc.createNode(candidate);
  node.commentBefore = comment;
  doc.set('reportOnly', node);
  return { text: doc.toString({ lineWidth: 0 }), replacedReportOnly };
}

/** Validates the text as a policy file (throws the library's CorsConfigError) and writes it atomically. */
export function writeCandidate(path: string, text: string): void {
  validatePolicy(parsePolicyText(text, path));
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
