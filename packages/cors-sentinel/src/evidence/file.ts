/**
 * Reading and writing the evidence file on disk. A write never leaves a torn file: the text goes to a
 * temporary file in the same directory, is fsync'ed, then renamed over the file (atomic on POSIX
 * filesystems), and the directory is fsync'ed so that the rename survives a power cut. A crash at any
 * point leaves either the old file or the new one, plus at most a stray `.tmp` file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { EvidenceFile } from './format';
import { compactText } from './compact';
import { parseEvidence } from './parse';

/** The file's evidence; undefined when there is no file yet. Throws for an unreadable or invalid one (EvidenceFormatError). */
export function readEvidenceFile(path: string): EvidenceFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseEvidence(text);
}

/** The file's text (version 2): one record per line, so that a person can read and diff it. */
export function evidenceText(file: EvidenceFile): string {
  // Version 2 (compact.ts): every writer goes through here, so every writer writes the same version.
  return compactText(file);
}

let sequence = 0;
const tempPath = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);

/** Writes `file` atomically, blocking (used on close, when there is no later turn of the event loop). */
export function writeEvidenceFileSync(path: string, file: EvidenceFile): void {
  const temp = tempPath(path);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeSync(fd, evidenceText(file));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDirectory(path);
}

/**
 * Writes `file` atomically without blocking the event loop for the write and fsync. The rename is done
 * synchronously, and only if `stillWanted()` says so then: a close that wrote its own final version
 * meanwhile is never overwritten by this older one.
 */
export async function writeEvidenceFile(path: string, file: EvidenceFile, stillWanted: () => boolean): Promise<void> {
  const temp = tempPath(path);
  try {
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(evidenceText(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!stillWanted()) {
      removeQuietly(temp);
      return;
    }
    renameSync(temp, path);
  } catch (err) {
    removeQuietly(temp);
    throw err;
  }
  syncDirectory(path);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}

function syncDirectory(path: string): void {
  try {
    const fd = openSync(dirname(path), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every platform can fsync a directory (Windows); the rename itself is still atomic
  }
}
