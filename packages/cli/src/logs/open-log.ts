/**
 * One open log file: its read position, the bytes that recognise it (its first bytes and those
 * before the read position) and its own line splitter, so that a partial line never joins another
 * file's.
 */
import { constants, promises as fs } from 'node:fs';
import { LineSplitter, type LineSink } from './lines';

/** Bytes before the read position kept to recognise the same file (and its copy). */
const FINGERPRINT = 256;
/**
 * The file's first bytes, kept too: log lines often end alike (the same request, status and headers),
 * but a file rewritten after a truncation starts with a later line.
 */
const HEAD = 1024;
const CHUNK = 64 * 1024;

export class OpenLog {
  private position = 0;
  private fingerprint: Buffer = Buffer.alloc(0);
  private head: Buffer = Buffer.alloc(0);
  private readonly lines: LineSplitter;
  private readonly buffer = Buffer.allocUnsafe(CHUNK);

  private constructor(private readonly handle: fs.FileHandle, readonly ino: number, sink: LineSink, maxLineBytes: number | undefined) {
    this.lines = new LineSplitter(sink, maxLineBytes);
  }

  static async open(handle: fs.FileHandle, at: 'start' | 'end', sink: LineSink, maxLineBytes?: number): Promise<OpenLog> {
    const stat = await handle.stat();
    const log = new OpenLog(handle, stat.ino, sink, maxLineBytes);
    if (at === 'end') {
      log.position = stat.size;
      log.fingerprint = await readAt(handle, Math.max(0, stat.size - FINGERPRINT), Math.min(FINGERPRINT, stat.size));
      log.head = await readAt(handle, 0, Math.min(HEAD, stat.size));
    }
    return log;
  }

  /** Reads to the current end of the file; returns the bytes read. */
  async readToEnd(): Promise<number> {
    let total = 0;
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) return total;
      total += bytesRead;
      this.consume(this.buffer.subarray(0, bytesRead));
    }
  }

  /** Shorter than what was read, or no longer the bytes that were read: truncated (and maybe rewritten). */
  async truncated(): Promise<boolean> {
    const { size } = await this.handle.stat();
    if (size < this.position) return true;
    if (!(await this.matches(this.handle))) return true;
    return false;
  }

  /** Reads the unread rest from the copy when it is the file that was being read, then starts over at 0. */
  async recoverFromCopy(copyPath: string): Promise<void> {
    let copy: fs.FileHandle | undefined;
    try {
      copy = await fs.open(copyPath, constants.O_RDONLY);
      const { size } = await copy.stat();
      if (size >= this.position && (await this.matches(copy))) {
        for (let at = this.position; at < size; ) {
          const { bytesRead } = await copy.read(this.buffer, 0, Math.min(CHUNK, size - at), at);
          if (bytesRead === 0) break;
          this.lines.push(this.buffer.subarray(0, bytesRead));
          at += bytesRead;
        }
      }
    } catch {
      // no copy (or not readable): the unread lines are gone, as for any reader
    } finally {
      await copy?.close();
    }
    this.lines.flush();
    this.position = 0;
    this.fingerprint = Buffer.alloc(0);
    this.head = Buffer.alloc(0);
  }

  async close(): Promise<void> {
    await this.readToEnd().catch(() => 0);
    this.lines.flush();
    await this.handle.close();
  }

  /** Whether `file` holds the bytes this log was recognised by. */
  private async matches(file: fs.FileHandle): Promise<boolean> {
    if (this.head.length > 0 && !(await readAt(file, 0, this.head.length)).equals(this.head)) return false;
    if (this.fingerprint.length === 0) return true;
    return (await readAt(file, this.position - this.fingerprint.length, this.fingerprint.length)).equals(this.fingerprint);
  }

  private consume(chunk: Buffer): void {
    if (this.position < HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD - this.position)]);
    this.position += chunk.length;
    this.fingerprint = chunk.length >= FINGERPRINT
      ? Buffer.from(chunk.subarray(chunk.length - FINGERPRINT))
      : Buffer.concat([this.fingerprint, chunk]).subarray(-FINGERPRINT);
    this.lines.push(chunk);
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const out = Buffer.alloc(length);
  const { bytesRead } = await handle.read(out, 0, length, position);
  return out.subarray(0, bytesRead);
}
