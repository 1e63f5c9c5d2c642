/** The JSON report: the ProbeReport itself plus a schema version, for CI scripts. */
import type { ProbeReport } from '../types';

export const JSON_REPORT_VERSION = 1;

export function formatJson(r: ProbeReport): string {
  return `${JSON.stringify({ version: JSON_REPORT_VERSION, ...r }, null, 2)}\n`;
}
