/**
 * Origins numbered in the order they are first met, found from a file's bytes without making a string:
 * `suggest` meets an origin once per record (millions), and making a string of it from the bytes costs
 * more than hashing and comparing the bytes here. A string is made once per distinct origin.
 *
 * The byte index holds every origin the byte reader (cors-sentinel's evidence/scan.ts) can meet:
 * printable ASCII without `"` or `\`. Origins read with JSON.parse (version 1, escapes, other
 * characters) are numbered by their string; one in the byte reader's alphabet enters the byte index
 * too, so an origin has one number however its records were read.
 *
 * Origins come from requests, so an attacker chooses them, and FNV-1a is not keyed: origins crafted to
 * share a hash would make one long probe run, and every record of theirs a walk along it. A probe
 * therefore stops after MAX_PROBES slots; an origin whose home run is that crowded is not put in the
 * byte index but numbered by its string alone (`byName`, whose Map hashes strings with V8's per-process
 * random seed), so its records cost a string each, as version 1 records do, and never a longer walk.
 */

const EMPTY = -1;
/** Not found: the probe met a free slot, and the origin may enter the byte index there. */
const ABSENT = -1;
/** Not found within MAX_PROBES slots: a crowded run, which the origin does not join. */
const CROWDED = -2;
/** Far above the runs of honest origins (the index is at most half full), far below a flood's. */
const MAX_PROBES = 128;
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
    const found = this.find(bytes, start, end - start, hash);
    if (found >= 0) return found;
    const origin = bytes.toString('latin1', start, end);
    if (found === CROWDED) return this.byName.get(origin) ?? this.add(origin, undefined);
    return this.add(origin, hash);
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

  /** The longest probe run the byte index walks for any origin (tests: bounded however origins collide). */
  get longestRun(): number {
    let longest = 0;
    let run = 0;
    // Wrap-around: a run may continue from the last slot to the first; two passes see it whole.
    for (let k = 0; k < 2 * this.slots.length; k++) {
      run = this.slots[k % this.slots.length] === EMPTY ? 0 : run + 1;
      longest = Math.max(longest, Math.min(run, this.slots.length));
    }
    return longest;
  }

  /** The origin's number, ABSENT (a free slot ends its run) or CROWDED (MAX_PROBES slots walked). */
  private find(bytes: Uint8Array, start: number, length: number, hash: number): number {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    for (let probes = 0; probes < MAX_PROBES; probes++, s = (s + 1) & mask) {
      const id = this.slots[s] as number;
      if (id === EMPTY) return ABSENT;
      if (this.hashes[id] === hash && this.lengths[id] === length && this.sameBytes(id, bytes, start, length)) return id;
    }
    return CROWDED;
  }

  private sameBytes(id: number, bytes: Uint8Array, start: number, length: number): boolean {
    const pool = this.pool;
    const at = this.starts[id] as number;
    for (let i = 0; i < length; i++) if (pool[at + i] !== bytes[start + i]) return false;
    return true;
  }

  /**
   * Numbers a new origin; `hash` given: it is in the byte reader's alphabet and enters the byte index,
   * unless the run from its home slot is already MAX_PROBES long (see the top of the file).
   */
  private add(origin: string, hash: number | undefined): number {
    const id = this.list.length;
    this.list.push(origin);
    this.byName.set(origin, id);
    if (hash === undefined) return id;
    const slot = this.freeSlot(hash);
    if (slot === CROWDED) return id;
    while (id >= this.hashes.length) this.growRows();
    while (this.poolUsed + origin.length > this.pool.length) this.pool = grown(this.pool, this.pool.length * 2);
    for (let i = 0; i < origin.length; i++) this.pool[this.poolUsed + i] = origin.charCodeAt(i);
    this.hashes[id] = hash;
    this.starts[id] = this.poolUsed;
    this.lengths[id] = origin.length;
    this.poolUsed += origin.length;
    this.slots[slot] = id;
    if (++this.indexed * 2 > this.slots.length) this.rehash();
    return id;
  }

  /** The free slot that ends `hash`'s run, or CROWDED when the run is MAX_PROBES long. */
  private freeSlot(hash: number): number {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    for (let probes = 0; probes < MAX_PROBES; probes++, s = (s + 1) & mask) if (this.slots[s] === EMPTY) return s;
    return CROWDED;
  }

  private growRows(): void {
    const size = this.hashes.length * 2;
    this.hashes = grown(this.hashes, size);
    this.starts = grown(this.starts, size);
    this.lengths = grown(this.lengths, size);
  }

  /**
   * Twice the slots. A run may come out longer than MAX_PROBES here; an origin beyond the probe limit of
   * its home slot is then found by its string (find() says CROWDED), which is slower, never wrong.
   */
  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    const mask = this.slots.length - 1;
    for (let k = 0; k < old.length; k++) {
      const id = old[k] as number;
      if (id === EMPTY) continue;
      let s = (this.hashes[id] as number) & mask;
      while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
      this.slots[s] = id;
    }
  }
}

function grown<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}
