/**
 * SARIF 2.1.0 for code-scanning UIs: one rule per class, one result per finding, located at the
 * probed URL. Severity maps to SARIF levels (high → error, medium/low → warning, info → note) and to
 * `security-severity` scores, which GitHub code scanning reads.
 */
import { CLASS_TITLES, PROBE_CLASSES, worstSeverity, type Severity } from '../classes';
import type { ProbeReport } from '../types';

const LEVEL: Readonly<Record<Severity, string>> = { high: 'error', medium: 'warning', low: 'warning', info: 'note' };
const SCORE: Readonly<Record<Severity, string>> = { high: '8.1', medium: '5.3', low: '3.1', info: '0.0' };
const HELP = 'https://github.com/cors-sentinel/cors-sentinel/blob/main/docs/prober.md';

export function formatSarif(r: ProbeReport): string {
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'cors-sentinel probe',
            informationUri: HELP,
            // A rule's score is the worst its class can grade (the severity table); each result carries its own.
            rules: PROBE_CLASSES.map((id) => ({
              id,
              name: id,
              shortDescription: { text: CLASS_TITLES[id] },
              helpUri: `${HELP}#classes-and-how-other-scanners-check-them`,
              defaultConfiguration: { level: LEVEL[worstSeverity(id)] },
              properties: { 'security-severity': SCORE[worstSeverity(id)] },
            })),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: r.startedAt,
            // An inconclusive probe must not look like a clean one in a code-scanning UI.
            toolExecutionNotifications: r.inconclusive ? [{ level: 'warning', message: { text: `Inconclusive: ${r.inconclusive.reason}. Try: ${r.inconclusive.tryNext.join('; ')}` } }] : [],
          },
        ],
        properties: { verdict: r.verdict },
        results: r.findings.map((f) => ({
          ruleId: f.class,
          ruleIndex: PROBE_CLASSES.indexOf(f.class),
          level: LEVEL[f.severity],
          message: { text: `${f.explanation} (${f.evidence.kind}${f.evidence.origin !== undefined ? ` with Origin: ${f.evidence.origin}` : ''})` },
          locations: [{ physicalLocation: { artifactLocation: { uri: r.url } } }],
          properties: { severity: f.severity, situation: f.situation, 'security-severity': SCORE[f.severity], evidence: f.evidence },
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
