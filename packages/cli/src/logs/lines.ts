/**
 * Splits a byte stream into lines with a cap: a line longer than `maxLineBytes` is reported once as
 * oversized and skipped up to its newline, so that one runaway line cannot hold unbounded memory.
 */
export type LineSink = (line: string | undefined) => void;

export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;

  /** `sink(undefined)` reports an oversized line. */
  constructor(private readonly sink: LineSink, private readonly maxLineBytes = 64 * 1024) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, nl));
      this.emit();
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /** Emits a final line without its newline (end of input, or a file rotated away). */
  flush(): void {
    if (this.held > 0 || this.skipping) this.emit();
  }

  private append(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.held + part.length > this.maxLineBytes) {
      this.parts = [];
      this.held = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(part)); // copied: the reader reuses its buffer
    this.held += part.length;
  }

  private emit(): void {
    if (this.skipping) {
      this.skipping = false;
      this.sink(undefined);
      return;
    }
    const line = Buffer.concat(this.parts, this.held).toString('utf8');
    this.parts = [];
    this.held = 0;
    if (line.trim() !== '') this.sink(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
