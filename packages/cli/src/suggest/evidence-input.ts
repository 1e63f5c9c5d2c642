/**
 * Reading the evidence files given to `suggest` and folding them into one view (./fold.ts).
 *
 * Each file is read and validated by the library (readEvidenceBytes: records in the writers' shape
 * straight from the bytes, anything else with JSON.parse and the same checks, so a bad file fails with
 * its EvidenceFormatError text, naming the file), folded, and dropped before the next file is read:
 * memory holds one file's bytes plus the distinct (route, origin) pairs, not every file at once.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { readEvidenceBytes } from 'cors-sentinel/internal/evidence/chunks';
import { EvidenceFormatError } from 'cors-sentinel/internal/evidence/parse';
import { EvidenceFold } from './fold';
import type { WorkerAnswer } from './fold-transfer';

/** A file `suggest` cannot use (missing, unreadable, not evidence): exit 1, the message names the file. */
export class SuggestInputError extends Error {
  readonly exitCode = 1;
  override readonly name = 'SuggestInputError';
}

export type EvidenceView = EvidenceFold;

/** Reads and folds every file; a missing, unreadable or invalid file stops the run with its name. */
export function readEvidenceFiles(paths: readonly string[]): EvidenceFold {
  const fold = new EvidenceFold(paths);
  for (const path of paths) readEvidenceFile(fold, path);
  return fold;
}

/** Below this many bytes of evidence, one thread reads it all: starting workers would cost more than it saves. */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

/**
 * The same fold as readEvidenceFiles, read by `threads` worker threads (default: one per CPU) when the
 * files are large enough to pay for them. Files are independent until they are folded: each worker
 * reads and folds a run of consecutive files (runs of about the same size) and hands back its fold,
 * and the folds are merged in file order, so every origin, route and name is met in the order one
 * thread meets it, and the result is the same. The first file that cannot be read (in file order)
 * stops the run with its message, as it would in one thread.
 */
export async function readEvidenceFilesInParallel(paths: readonly string[], threads = availableParallelism(), minBytes = PARALLEL_MIN_BYTES): Promise<EvidenceFold> {
  const sizes = paths.map((p) => {
    try {
      return statSync(p).size;
    } catch {
      return 0; // reading it will say why
    }
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const runs = Math.min(threads, paths.length);
  if (runs < 2 || total < minBytes) return readEvidenceFiles(paths);
  const answers = await Promise.all(splitRuns(paths, sizes, runs).map(foldInWorker));
  const fold = new EvidenceFold(paths);
  for (const answer of answers) {
    if ('error' in answer) throw answer.input ? new SuggestInputError(answer.error) : new Error(answer.error);
    fold.merge(answer.fold);
  }
  return fold;
}

/** `paths` cut into `runs` runs of consecutive files, of about the same number of bytes. */
function splitRuns(paths: readonly string[], sizes: readonly number[], runs: number): string[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out: string[][] = [[]];
  let before = 0;
  for (let i = 0; i < paths.length; i++) {
    // A run ends once it holds its share; each run gets at least one file.
    if (out.length < runs && before >= (total * out.length) / runs && (out[out.length - 1] as string[]).length > 0) out.push([]);
    (out[out.length - 1] as string[]).push(paths[i] as string);
    before += sizes[i] as number;
  }
  return out;
}

function foldInWorker(paths: string[]): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'fold-worker.js'), { workerData: { paths } });
    let answer: WorkerAnswer | undefined;
    worker.once('message', (m: WorkerAnswer) => {
      answer = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (answer !== undefined ? resolve(answer) : reject(new Error(`cors-sentinel suggest: a worker thread stopped (exit code ${code}) without an answer`))));
  });
}

/**
 * One buffer per thread, reused from file to file: a new buffer per file (readFileSync) is memory outside
 * the JavaScript heap that V8 frees only with a full garbage collection, and gigabytes of evidence
 * made it run one every few files over the whole heap of folded pairs.
 */
let scratch = Buffer.alloc(0);
/** Files above this are left to readFileSync, which refuses them with its own error (ERR_FS_FILE_TOO_LARGE). */
const MAX_FILE = 2 ** 31 - 1;

/**
 * The bytes of one evidence file, in a buffer reused by the next call (the fold keeps nothing of it:
 * it copies the origins it keeps); SuggestInputError naming the file when it cannot be read.
 */
export function evidenceBytes(path: string): Buffer {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_FILE) return readFileSync(fd);
      if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, Math.min(MAX_FILE, Math.ceil(scratch.length * 1.5))));
      let read = 0;
      for (let n = -1; n !== 0 && read < size; read += n) n = readSync(fd, scratch, read, size - read, read);
      return scratch.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw cannotRead(path, err);
  }
}

function cannotRead(path: string, err: unknown): SuggestInputError {
  const e = err as NodeJS.ErrnoException;
  // A file read with JSON.parse must fit in one string (ERR_STRING_TOO_LONG, about 512 MiB); one the
  // writers laid out is read from its bytes, up to the 2 GiB readFileSync reads (ERR_FS_FILE_TOO_LARGE).
  const why = e.code === 'ENOENT' ? 'no such file'
    : e.code === 'ERR_STRING_TOO_LONG' ? 'too large to read as one JSON text (split it per instance)'
    : e.code === 'ERR_FS_FILE_TOO_LARGE' ? 'too large to read (over 2 GiB: split it per instance)'
    : e.message;
  return new SuggestInputError(`cors-sentinel suggest: --evidence ${path}: cannot read it: ${why}`);
}

/**
 * Reads one file into `fold`. An invalid file throws SuggestInputError after some of its records may have
 * been folded: the run stops, and the fold is dropped with it.
 */
export function readEvidenceFile(fold: EvidenceFold, path: string, bytes: Buffer = evidenceBytes(path)): void {
  fold.reading(bytes);
  try {
    readEvidenceBytes(bytes, fold);
  } catch (err) {
    if (err instanceof EvidenceFormatError) throw new SuggestInputError(`cors-sentinel suggest: --evidence ${path}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw cannotRead(path, err);
    throw err;
  }
}

/** The totals of an origin over its routes. */
export interface OriginTotals {
  allowed: number;
  rejected: number;
  preflights: number;
  actual: number;
  credentialedGrants: number;
  /** `Sec-Fetch-Site` value → count, in the order first met (the object the report lists). */
  secFetchSite: Record<string, number>;
}

export function totalsOf(view: EvidenceFold, o: number): OriginTotals {
  const [pa, pr, aa, ar, cred] = view.countsOf(o);
  return { allowed: pa + aa, rejected: pr + ar, preflights: pa + pr, actual: aa + ar, credentialedGrants: cred, secFetchSite: view.siteTotalsOf(o) };
}
