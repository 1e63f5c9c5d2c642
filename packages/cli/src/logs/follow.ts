/**
 * Follows a log file the way `tail -F` does, without losing or counting a line twice through
 * rotation:
 * - rename rotation (logrotate's default, then `nginx -s reopen`): the new file is read from its
 *   start, and the renamed one keeps being read through its open descriptor until it has been quiet
 *   for `retireAfterMs` — nginx's workers reopen a moment after the master creates the new file;
 * - copytruncate: the truncation is noticed (the file is shorter than what was read, or its first
 *   bytes or the bytes before the read position changed), and the lines that were still unread are
 *   taken from the copy (`FILE.1` by default) when its bytes up to the read position match what was
 *   read. Lines the writer adds between logrotate's copy and its truncation are lost to any reader:
 *   logrotate's documented caveat of copytruncate.
 */
import { constants, promises as fs, type Stats } from 'node:fs';
import { OpenLog } from './open-log';
import type { LineSink } from './lines';

export interface FollowOptions {
  /** Read the file from its start instead of its end (default: the end, as `tail -f`). */
  readonly fromStart?: boolean;
  /** Poll interval. Default 250 ms. */
  readonly pollMs?: number;
  /** Where copytruncate leaves the copy. Default `FILE.1`. */
  readonly copyPath?: string;
  /** How long a renamed file must stay unchanged before it is closed. Default 5 000 ms. */
  readonly retireAfterMs?: number;
  readonly maxLineBytes?: number;
  /** How long polls may fail before health() says so. Default 10 polls, at least 5 000 ms. */
  readonly staleAfterMs?: number;
  /** Called with the first error of a run of failing polls (reading goes on being retried). */
  readonly onError?: (err: Error) => void;
}

/** Whether the file is being read: `ok` false once polls have failed for `staleAfterMs` (see health()). */
export interface FollowHealth {
  readonly ok: boolean;
  /** The last poll's error, while polls fail. */
  readonly error?: string;
  /** Whether a file is open at the path (false while it does not exist). */
  readonly open: boolean;
}

interface Retired {
  readonly log: OpenLog;
  quietSince: number;
}

export class LogFollower {
  private current: OpenLog | undefined;
  private readonly retired: Retired[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** When a poll last read without an error, and the error since (a directory where the file was, EIO, …). */
  private lastReadAt = Date.now();
  private lastError: Error | undefined;

  constructor(private readonly path: string, private readonly sink: LineSink, private readonly options: FollowOptions = {}) {}

  /** Opens the file (at its end unless `fromStart`) and polls until `stop()`. */
  async start(): Promise<void> {
    try {
      this.current = await this.open(this.options.fromStart === true ? 'start' : 'end');
    } catch (err) {
      this.failed(err); // unreadable from the start: the polls retry (from its start once it opens)
    }
    const loop = (): void => {
      if (this.stopped) return;
      // A failing poll must not stop the loop (the file may come back), nor go unseen: health() says so.
      this.running = this.poll().then(
        () => {
          this.lastReadAt = Date.now();
          this.lastError = undefined;
        },
        (err: unknown) => this.failed(err),
      );
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 250);
      });
    };
    this.timer = setTimeout(loop, this.options.pollMs ?? 250);
  }

  /** Reads what has been written since the last poll, following rotations. */
  async poll(): Promise<void> {
    await this.readRetired();
    // A file that appears after the start is new: all of it is read.
    this.current ??= await this.open('start');
    const log = this.current;
    if (log === undefined) return;
    let readError: Error | undefined;
    try {
      if (await log.truncated()) await log.recoverFromCopy(this.options.copyPath ?? `${this.path}.1`);
      await log.readToEnd();
    } catch (err) {
      readError = err instanceof Error ? err : new Error(String(err)); // the name may point at a readable file again: look before giving up
    }
    const named = await statOrUndefined(this.path);
    if (named !== undefined && named.ino !== log.ino) {
      // A file that could not be read is not drained: it is closed, and the new one is read.
      if (readError === undefined) this.retired.push({ log, quietSince: Date.now() });
      else await log.close().catch(() => undefined);
      this.current = await this.open('start');
      await this.current?.readToEnd();
      return;
    }
    if (readError !== undefined) throw readError;
  }

  /** Notes a failed read: reported once per run of failures, kept for health(). */
  private failed(err: unknown): void {
    const message = (err as { message?: unknown } | undefined)?.message;
    const error = new Error(typeof message === 'string' ? message : String(err));
    if (this.lastError === undefined) this.options.onError?.(error);
    this.lastError = error;
  }

  /**
   * Unhealthy once polls have failed for longer than `staleAfterMs` (default: 10 polls, at least 5 s):
   * a reader that silently stopped reading would otherwise look like a quiet log.
   */
  health(now = Date.now()): FollowHealth {
    const open = this.current !== undefined;
    if (this.lastError === undefined) return { ok: true, open };
    const staleAfter = this.options.staleAfterMs ?? Math.max(5_000, 10 * (this.options.pollMs ?? 250));
    return { ok: now - this.lastReadAt < staleAfter, error: this.lastError.message, open };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const { log } of this.retired.splice(0)) await log.close();
    await this.current?.close();
    this.current = undefined;
  }

  /** Renamed files: read on until they have been quiet long enough, then flushed and closed. */
  private async readRetired(): Promise<void> {
    const grace = this.options.retireAfterMs ?? 5_000;
    for (const entry of [...this.retired]) {
      if ((await entry.log.readToEnd()) > 0) entry.quietSince = Date.now();
      else if (Date.now() - entry.quietSince >= grace) {
        this.retired.splice(this.retired.indexOf(entry), 1);
        await entry.log.close();
      }
    }
  }

  private async open(at: 'start' | 'end'): Promise<OpenLog | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, constants.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return await OpenLog.open(handle, at, this.sink, this.options.maxLineBytes);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(path);
  } catch {
    return undefined;
  }
}
