/**
 * `cors-sentinel logs --once FILE...`: reads the given access logs from their start to their end and
 * stops — how last month's logs become evidence on day one. Every file is checked readable before any
 * is read, and a file whose lines are not the expected format is an error naming it: an import that
 * read nothing must not look like "no origin ever called".
 */
import { createReadStream, openSync, closeSync, fstatSync } from 'node:fs';
import { LineSplitter } from './lines';
import type { LineClock, LogObserver } from './observer';

export interface FileReading {
  readonly file: string;
  lines: number;
  observed: number;
  malformed: number;
  /** Observed lines without a usable `time`: kept out of the evidence (counted as dropped). */
  untimed: number;
}

/** Throws, naming the file, when one of `files` cannot be opened for reading or is not a regular file. */
export function checkReadable(files: readonly string[]): void {
  const problems: string[] = [];
  for (const file of files) {
    try {
      const fd = openSync(file, 'r');
      try {
        if (!fstatSync(fd).isFile()) problems.push(`${file}: not a regular file`);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      problems.push(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (problems.length > 0) throw new Error(`cors-sentinel logs: ${problems.join('\n  ')}`);
}

/** Reads every file in order through `logs`; resolves with what each held. */
export async function readHistory(files: readonly string[], logs: LogObserver, clock: LineClock): Promise<FileReading[]> {
  const readings: FileReading[] = [];
  for (const file of files) {
    const reading: FileReading = { file, lines: 0, observed: 0, malformed: 0, untimed: 0 };
    readings.push(reading);
    const splitter = new LineSplitter((line) => {
      reading.lines++;
      if (logs.line(line) === 'malformed') reading.malformed++;
      else {
        reading.observed++;
        if (Number.isNaN(clock.time)) reading.untimed++;
      }
    });
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(file);
      stream.on('data', (chunk) => splitter.push(chunk as Buffer));
      stream.on('error', (err) => reject(new Error(`cors-sentinel logs: ${file}: cannot read it (${err.message})`)));
      stream.on('end', () => {
        splitter.flush();
        resolve();
      });
    });
  }
  return readings;
}

/** Throws when a file held lines but none of the expected format, or when nothing at all was observed. */
export function checkFormat(readings: readonly FileReading[]): void {
  const wrong = readings.filter((r) => r.lines > 0 && r.observed === 0);
  const problems = wrong.map((r) => `${r.file}: none of its ${r.lines} lines is an nginx-json (cors_json) line — wrong --format, or a log_format without the CORS fields? (see --print-log-format)`);
  if (problems.length === 0 && readings.every((r) => r.observed === 0)) problems.push('no line was read: the files are empty');
  if (problems.length > 0) throw new Error(`cors-sentinel logs: nothing written:\n  ${problems.join('\n  ')}`);
}

export function summary(readings: readonly FileReading[]): string {
  const sum = (k: 'lines' | 'observed' | 'malformed' | 'untimed'): number => readings.reduce((n, r) => n + r[k], 0);
  return `${sum('lines')} lines from ${readings.length} file(s): ${sum('observed')} observed, ${sum('malformed')} malformed (skipped), ${sum('untimed')} without a usable time (not in the evidence)`;
}
