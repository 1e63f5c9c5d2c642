/**
 * Says when the log reader is blind (issue #30): a mistyped path, a file it cannot read, lines in another
 * log_format, or a log_format without the fields CORS needs would otherwise leave it "healthy" while it
 * sees nothing. The state is printed on stderr at start and on every change; /healthz answers 503 with
 * the reason once a blind state has lasted `graceMs` (a log that is rotated or briefly absent is not an
 * incident). A quiet log (no lines) is not blindness: an idle site writes nothing. State changes are
 * at most one per check (the CLI checks once a second), so no input can flood stderr with them.
 */

/** Keys of the cors_json format without which the reader cannot judge CORS (docs/proxy.md). */
export const CORS_FIELDS = ['http_origin', 'host', 'sent_http_access_control_allow_origin'] as const;

export interface ReaderState {
  readonly blind: boolean;
  /** Which state: a change of kind is reported, a change of detail (a count) is not. */
  readonly kind: 'unreadable' | 'no_file' | 'malformed' | 'fields_missing' | 'reading' | 'no_line_yet';
  /** What the reader sees, or why it is blind, in words. */
  readonly text: string;
}

export interface BlindnessOptions {
  readonly graceMs: number;
  /** Whether the log file is open, and the read error while reads fail. */
  readonly file: () => { readonly open: boolean; readonly error?: string | undefined };
  /** Where state changes go (stderr). */
  readonly report: (state: ReaderState) => void;
  readonly now?: () => number;
}

export class BlindnessWatch {
  private lines = { observed: 0, malformed: 0, missing: new Set<string>() };
  /** The verdict of the last lines read; kept while no new line arrives. */
  private fromLines: ReaderState | undefined;
  private current: ReaderState | undefined;
  private since = 0;

  constructor(private readonly options: BlindnessOptions) {}

  /** One line's result, and the CORS fields its JSON object lacked (empty for a malformed line). */
  noteLine(result: 'observed' | 'malformed', missing: readonly string[]): void {
    this.lines[result] += 1;
    for (const key of missing) this.lines.missing.add(key);
  }

  /** Re-evaluates (call it on a timer and before answering /healthz); reports a change of state. */
  check(): ReaderState {
    const now = (this.options.now ?? Date.now)();
    const state = this.evaluate();
    if (this.current === undefined || state.kind !== this.current.kind) {
      this.since = now;
      this.options.report(state);
    }
    this.current = state;
    return state;
  }

  /** What /healthz says: 503 with the reason once a blind state has lasted the grace period. */
  health(): { ok: true } | { ok: false; reason: string } {
    const state = this.check();
    const now = (this.options.now ?? Date.now)();
    return state.blind && now - this.since >= this.options.graceMs ? { ok: false, reason: state.text } : { ok: true };
  }

  private evaluate(): ReaderState {
    const file = this.options.file();
    if (file.error !== undefined) return { blind: true, kind: 'unreadable', text: `the log is unreadable: ${file.error}` };
    if (!file.open) return { blind: true, kind: 'no_file', text: 'the log file does not exist (a mistyped path? it is read from its start once it appears)' };
    const { observed, malformed, missing } = this.lines;
    if (observed + malformed > 0) {
      this.fromLines = verdictOf(observed, malformed, missing);
      this.lines = { observed: 0, malformed: 0, missing: new Set() };
    }
    return this.fromLines ?? { blind: false, kind: 'no_line_yet', text: 'reading, no line yet' };
  }
}

function verdictOf(observed: number, malformed: number, missing: ReadonlySet<string>): ReaderState {
  if (observed === 0) return { blind: true, kind: 'malformed', text: `all ${malformed} recent line(s) are malformed: not the cors_json log_format (docs/proxy.md, or --print-log-format)` };
  if (missing.size > 0) return { blind: true, kind: 'fields_missing', text: `the log_format lacks ${[...missing].sort().join(', ')}: CORS cannot be judged (use the cors_json format: --print-log-format)` };
  return { blind: false, kind: 'reading', text: 'reading: lines carry the CORS fields' };
}
