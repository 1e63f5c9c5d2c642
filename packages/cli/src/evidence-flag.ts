/**
 * `--evidence FILE` of `proxy` and `logs`: checked before anything listens or reads. Unlike the library
 * (which writes to a side file and warns), the CLI refuses to start on an existing file it cannot read
 * or that is not evidence, and on a directory it cannot write: a person is there to fix it, and nothing
 * is lost or overwritten.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readEvidenceFile } from 'cors-sentinel/internal/evidence/file';
import type { EvidenceOptions } from 'cors-sentinel/internal/policy/options';

export function evidenceFlag(path: string | undefined, command: string): EvidenceOptions | undefined {
  if (path === undefined) return undefined;
  if (path.trim() === '') throw new Error(`cors-sentinel ${command}: --evidence needs a file name`);
  try {
    readEvidenceFile(path);
  } catch (err) {
    throw new Error(`cors-sentinel ${command}: --evidence ${path}: the existing file cannot be used (it is left untouched; move it away or name another file):\n  ${(err as Error).message.replace(/\n/g, '\n  ')}`);
  }
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (err) {
    throw new Error(`cors-sentinel ${command}: --evidence ${path}: cannot write in its directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return { file: path };
}
