/**
 * Origins numbered in the order they are first met, found from a file's bytes without making a string:
 * `suggest` meets an origin once per record (millions), and making a string of it from the bytes costs
 * more than hashing and comparing the bytes here. A string is made once per distinct origin.
 *
 * The byte index holds every origin the byte reader (cors-sentinel's evidence/scan.ts) can meet:
 * printable ASCII without `"` or `\`. Origins read with JSON.parse (version 1, escapes, other
 * characters) are numbered by their string; one in the byte reader's alphabet enters the byte index
 * too, so an origin has one number however its records were read.
 */

const EMPTY = -1;
/** FNV-1a, as scan.ts hashes the bytes of an origin. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class OriginTable {
  /** Origin number → origin. */
  readonly list: string[] = [];
  private readonly byName = new Map<string, number>();
  /** Open addressing (linear probing) from hash to origin number; EMPTY marks a free slot. */
  private slots: Int32Array = new Int32Array(1 << 12).fill(EMPTY);
  private hashes: Int32Array = new Int32Array(1 << 10);
  private starts: Int32Array = new Int32Array(1 << 10);
  private lengths: Int32Array = new Int32Array(1 << 10);
  private pool: Uint8Array = new Uint8Array(1 << 16);
  private poolUsed = 0;
  private indexed = 0;

  get size(): number {
    return this.list.length;
  }

  get(origin: string): number | undefined {
    return this.byName.get(origin);
  }

  /** The number of the origin `bytes[start, end)` (printable ASCII, hashed to `hash`), numbering it if new. */
  idOfBytes(bytes: Buffer, start: number, end: number, hash: number): number {
    const length = end - start;
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s] as number;
      if (id === EMPTY) break;
      if (this.hashes[id] === hash && this.lengths[id] === length && this.sameBytes(id, bytes, start, length)) return id;
    }
    return this.add(bytes.toString('latin1', start, end), hash);
  }

  /** The number of `origin`, numbering it if new. */
  idOf(origin: string): number {
    const id = this.byName.get(origin);
    if (id !== undefined) return id;
    let hash = FNV_OFFSET | 0;
    for (let i = 0; i < origin.length; i++) {
      const c = origin.charCodeAt(i);
      if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) return this.add(origin, undefined);
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    return this.add(origin, hash);
  }

  private sameBytes(id: number, bytes: Uint8Array, start: number, length: number): boolean {
    const pool = this.pool;
    const at = this.starts[id] as number;
    for (let i = 0; i < length; i++) if (pool[at + i] !== bytes[start + i]) return false;
    return true;
  }

  /** Numbers a new origin; `hash` given: it is in the byte reader's alphabet and enters the byte index. */
  private add(origin: string, hash: number | undefined): number {
    const id = this.list.length;
    this.list.push(origin);
    this.byName.set(origin, id);
    if (hash === undefined) return id;
    if (id >= this.hashes.length) this.growRows();
    while (this.poolUsed + origin.length > this.pool.length) this.pool = grown(this.pool, this.pool.length * 2);
    for (let i = 0; i < origin.length; i++) this.pool[this.poolUsed + i] = origin.charCodeAt(i);
    this.hashes[id] = hash;
    this.starts[id] = this.poolUsed;
    this.lengths[id] = origin.length;
    this.poolUsed += origin.length;
    this.index(id);
    if (++this.indexed * 2 > this.slots.length) this.rehash();
    return id;
  }

  private index(id: number): void {
    const mask = this.slots.length - 1;
    let s = (this.hashes[id] as number) & mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
    this.slots[s] = id;
  }

  private growRows(): void {
    const size = this.hashes.length * 2;
    this.hashes = grown(this.hashes, size);
    this.starts = grown(this.starts, size);
    this.lengths = grown(this.lengths, size);
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    for (let s = 0; s < old.length; s++) if (old[s] !== EMPTY) this.index(old[s] as number);
  }
}

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}
