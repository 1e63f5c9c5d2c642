/**
 * Follows a log file the way `tail -F` does, without losing or counting a line twice through
 * rotation:
 * - rename rotation (logrotate's default, then `nginx -s reopen`): the old file is read to its end
 *   through the still-open descriptor before the new file is opened and read from its start;
 * - copytruncate: the truncation is noticed (the file is shorter than what was read, or the bytes
 *   before the read position changed), and the lines that were still unread are taken from the copy
 *   (`FILE.1` by default) when its bytes up to the read position match what was read. Lines the
 *   writer adds between logrotate's copy and its truncation are lost to any reader: logrotate's
 *   documented caveat of copytruncate.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import { LineSplitter, type LineSink } from './lines';

export interface FollowOptions {
  /** Read the file from its start instead of its end (default: the end, as `tail -f`). */
  readonly fromStart?: boolean;
  /** Poll interval. Default 250 ms. */
  readonly pollMs?: number;
  /** Where copytruncate leaves the copy. Default `FILE.1`. */
  readonly copyPath?: string;
  readonly maxLineBytes?: number;
}

/** Bytes before the read position kept to recognise the same file (and its copy). */
const FINGERPRINT = 256;
const CHUNK = 64 * 1024;

export class LogFollower {
  private handle: fs.FileHandle | undefined;
  private ino = -1;
  private position = 0;
  private fingerprint: Buffer = Buffer.alloc(0);
  private readonly lines: LineSplitter;
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly path: string, sink: LineSink, private readonly options: FollowOptions = {}) {
    this.lines = new LineSplitter(sink, options.maxLineBytes);
  }

  /** Opens the file (at its end unless `fromStart`) and polls until `stop()`. */
  async start(): Promise<void> {
    await this.open(this.options.fromStart === true ? 'start' : 'end');
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.poll().catch(() => undefined);
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 250);
      });
    };
    this.timer = setTimeout(loop, this.options.pollMs ?? 250);
  }

  /** Reads what has been written since the last poll, following rotations. */
  async poll(): Promise<void> {
    if (this.handle === undefined) {
      await this.open('start'); // the file appeared after we started: all of it is new
      if (this.handle === undefined) return;
    }
    if (await this.truncated()) await this.recoverFromCopy();
    await this.readToEnd();
    const current = await statOrUndefined(this.path);
    if (current !== undefined && current.ino !== this.ino) {
      await this.readToEnd(); // the writer may have added lines before it reopened
      this.lines.flush();
      await this.handle?.close();
      this.handle = undefined;
      await this.open('start');
      await this.readToEnd();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async open(at: 'start' | 'end'): Promise<void> {
    try {
      this.handle = await fs.open(this.path, constants.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const stat = await this.handle.stat();
    this.ino = stat.ino;
    this.position = at === 'end' ? stat.size : 0;
    this.fingerprint = at === 'end' ? await readAt(this.handle, Math.max(0, stat.size - FINGERPRINT), Math.min(FINGERPRINT, stat.size)) : Buffer.alloc(0);
  }

  private async readToEnd(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined) return;
    for (;;) {
      const { bytesRead } = await handle.read(this.buffer, 0, CHUNK, this.position);
      if (bytesRead === 0) return;
      this.consume(this.buffer.subarray(0, bytesRead));
    }
  }

  private consume(chunk: Buffer): void {
    this.position += chunk.length;
    this.fingerprint = chunk.length >= FINGERPRINT
      ? Buffer.from(chunk.subarray(chunk.length - FINGERPRINT))
      : Buffer.concat([this.fingerprint, chunk]).subarray(-FINGERPRINT);
    this.lines.push(chunk);
  }

  /** Shorter than what was read, or no longer the bytes that were read: truncated (and maybe rewritten). */
  private async truncated(): Promise<boolean> {
    const handle = this.handle as fs.FileHandle;
    const { size } = await handle.stat();
    if (size < this.position) return true;
    if (this.fingerprint.length === 0) return false;
    const now = await readAt(handle, this.position - this.fingerprint.length, this.fingerprint.length);
    return !now.equals(this.fingerprint);
  }

  /** Reads the unread rest from the copy when it is the file we were reading, then starts over at 0. */
  private async recoverFromCopy(): Promise<void> {
    const copyPath = this.options.copyPath ?? `${this.path}.1`;
    let copy: fs.FileHandle | undefined;
    try {
      copy = await fs.open(copyPath, constants.O_RDONLY);
      const { size } = await copy.stat();
      const start = this.position - this.fingerprint.length;
      const same = size >= this.position && (await readAt(copy, start, this.fingerprint.length)).equals(this.fingerprint);
      if (same) {
        for (let at = this.position; at < size; ) {
          const { bytesRead } = await copy.read(this.buffer, 0, Math.min(CHUNK, size - at), at);
          if (bytesRead === 0) break;
          this.lines.push(this.buffer.subarray(0, bytesRead));
          at += bytesRead;
        }
      }
    } catch {
      // no copy (or not readable): the unread lines are gone, as with any reader
    } finally {
      await copy?.close();
    }
    this.lines.flush();
    this.position = 0;
    this.fingerprint = Buffer.alloc(0);
  }
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const out = Buffer.alloc(length);
  const { bytesRead } = await handle.read(out, 0, length, position);
  return out.subarray(0, bytesRead);
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(path);
  } catch {
    return undefined;
  }
}
