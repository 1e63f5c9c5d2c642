/**
 * Validating an evidence file read from disk: every problem is reported together with its path, and a
 * file that is not evidence (another JSON, a newer version) is refused rather than read as "nothing seen".
 *
 * Validation works on the parsed JSON in place and copies nothing: `suggest` reads millions of records,
 * and copying each one (as this once did) cost twice JSON.parse itself. Paths are built only for a
 * problem, never for a good value. The one change made in place is sorting a list of days written
 * unsorted (our writers sort them; the format promises sorted days to readers).
 */
import { Checker, isObject } from './check';
import { checkCompact, expandCompact } from './compact';
import { EVIDENCE_FORMAT, EVIDENCE_VERSION, READABLE_VERSIONS, type CompactEvidenceFile, type EvidenceFile } from './format';

export class EvidenceFormatError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`not a valid cors-sentinel evidence file:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EvidenceFormatError';
  }
}

/** A validated file as read: version 1 is already an EvidenceFile; version 2 is kept compact. */
export type ReadEvidence = { readonly version: 1; readonly file: EvidenceFile } | { readonly version: 2; readonly file: CompactEvidenceFile };

/**
 * The validated evidence in `text`, in the form it was written (`suggest` folds version 2 records as they
 * are), or an EvidenceFormatError listing what is wrong.
 */
export function readEvidence(text: string): ReadEvidence {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new EvidenceFormatError([`not JSON (${(error as Error).message})`]);
  }
  if (!isObject(raw) || raw.format !== EVIDENCE_FORMAT) throw new EvidenceFormatError([`format: must be "${EVIDENCE_FORMAT}"`]);
  if (!READABLE_VERSIONS.includes(raw.version as number)) {
    throw new EvidenceFormatError([`version: ${String(raw.version)} is not supported (this version reads ${READABLE_VERSIONS.join(' and ')})`]);
  }
  const c = new Checker();
  c.head(raw);
  if (raw.version === 2) {
    checkCompact(c, raw);
    if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
    return { version: 2, file: raw as unknown as CompactEvidenceFile };
  }
  if (!Array.isArray(raw.entries)) c.fail('entries', 'must be a list');
  else for (let i = 0; i < raw.entries.length; i++) c.entry(raw.entries[i], i);
  if (c.problems.length > 0) throw new EvidenceFormatError(c.problems);
  // Valid: the parsed object is the file (extra fields a writer added are not read, and not written back).
  const file = raw as unknown as EvidenceFile;
  file.version = EVIDENCE_VERSION;
  return { version: 1, file };
}

/** The evidence in `text` (the file's content, version 1 or 2), or an EvidenceFormatError listing what is wrong. */
export function parseEvidence(text: string): EvidenceFile {
  const read = readEvidence(text);
  return read.version === 2 ? expandCompact(read.file) : read.file;
}
