/** The default terminal report: worst first, one line of reason per finding, the evidence indented. */
import { CLASS_TITLES } from '../classes';
import type { ProbeReport } from '../types';

export function formatHuman(r: ProbeReport): string {
  const lines = [`CORS probe of ${r.url} (site origin ${r.siteOrigin})`, `${r.requestsSent} requests in ${r.durationSeconds.toFixed(2)} s${r.skipped > 0 ? `, ${r.skipped} checks skipped (request budget, deadline or failed requests)` : ''}`, ''];
  if (r.actualMethod !== 'GET' || r.sentHeaders.length > 0) lines.splice(2, 0, `Actual requests: ${r.actualMethod}${r.sentHeaders.length > 0 ? ` with ${r.sentHeaders.join(', ')} (values redacted)` : ''}`);
  if (r.inconclusive) {
    lines.push(`INCONCLUSIVE: ${r.inconclusive.reason}.`, ...r.inconclusive.tryNext.map((t) => `  - try: ${t}`), '');
  } else if (r.findings.length === 0) lines.push('No findings: no origin the site does not own is granted, and the answers are well-formed.');
  for (const f of r.findings) {
    lines.push(`${f.severity.toUpperCase().padEnd(6)} ${f.class}: ${CLASS_TITLES[f.class]}`);
    lines.push(`       ${f.explanation}`);
    if (f.implies) lines.push(`       Also granted, as follows from it: ${f.implies.join(', ')}.`);
    const headers = Object.entries(f.evidence.headers).map(([k, v]) => `${k}: ${v}`).join('; ');
    lines.push(`       ${f.evidence.kind}${f.evidence.origin !== undefined ? ` Origin: ${f.evidence.origin}` : ' without Origin'} → ${f.evidence.status}${headers ? ` | ${headers}` : ''}`);
  }
  const counts = ['high', 'medium', 'low', 'info'].map((s) => `${r.findings.filter((f) => f.severity === s).length} ${s}`);
  lines.push('', `Summary: ${counts.join(', ')}.${r.credentialedOriginReflection ? ' Any website can read credentialed responses.' : ''}${r.inconclusive ? ' Inconclusive: see above.' : ''}`);
  return `${lines.join('\n')}\n`;
}
