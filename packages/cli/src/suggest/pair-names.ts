/**
 * The names of a (route, origin) pair in ./fold.ts, kept without an array per pair: a record adds its
 * methods, headers and `Sec-Fetch-Site` values to its pair, millions of times, and a few hundred
 * thousand small arrays (and the pointers to them) were much of the fold's time and memory.
 * Names are numbers of the fold's name table.
 */
const NONE = -1;
/** Names of one kind with a bit of their own per pair; later ones go to a list (a handful of methods and headers is the rule). */
const BITS = 31;

function grown<T extends Int32Array | Float64Array>(a: T, size: number, fill: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}

/** Per pair, a set of names of one kind (methods, or request headers). */
export class NameSets {
  private bits: Int32Array = new Int32Array(1024);
  /** Name → its bit, the first BITS names of this kind met getting one; NONE: not met yet. */
  private bitOf: Int32Array = new Int32Array(64).fill(NONE);
  private readonly nameOfBit: number[] = [];
  private readonly more = new Map<number, number[]>();

  /** Makes room for pair `pair` (a new, empty set). */
  open(pair: number): void {
    if (pair >= this.bits.length) this.bits = grown(this.bits, 2 * pair, 0);
    this.bits[pair] = 0;
  }

  add(pair: number, name: number): void {
    if (name >= this.bitOf.length) this.bitOf = grown(this.bitOf, 2 * name + 2, NONE);
    let bit = this.bitOf[name] as number;
    if (bit === NONE && this.nameOfBit.length < BITS) {
      bit = this.nameOfBit.length;
      this.nameOfBit.push(name);
      this.bitOf[name] = bit;
    }
    if (bit !== NONE) {
      this.bits[pair] = (this.bits[pair] as number) | (1 << bit);
      return;
    }
    const list = this.more.get(pair);
    if (list === undefined) this.more.set(pair, [name]);
    else if (!list.includes(name)) list.push(name);
  }

  /** The pair's names (in no particular order). */
  of(pair: number): number[] {
    const out: number[] = [];
    const bits = this.bits[pair] as number;
    for (let bit = 0; bit < this.nameOfBit.length; bit++) if ((bits & (1 << bit)) !== 0) out.push(this.nameOfBit[bit] as number);
    const more = this.more.get(pair);
    if (more !== undefined) out.push(...more);
    return out;
  }
}

/** Per pair, names with counts, in the order first met: the first in place, any others in a list. */
export class NameCounts {
  private first: Int32Array = new Int32Array(1024);
  private firstCount: Float64Array = new Float64Array(1024);
  /** `[name, count, …]` after the first. */
  private readonly more = new Map<number, number[]>();

  open(pair: number): void {
    if (pair >= this.first.length) {
      this.first = grown(this.first, 2 * pair, 0);
      this.firstCount = grown(this.firstCount, 2 * pair, 0);
    }
    this.first[pair] = NONE;
    this.firstCount[pair] = 0;
  }

  add(pair: number, name: number, count: number): void {
    const first = this.first[pair] as number;
    if (first === name) {
      this.firstCount[pair] = (this.firstCount[pair] as number) + count;
      return;
    }
    if (first === NONE) {
      this.first[pair] = name;
      this.firstCount[pair] = count;
      return;
    }
    const list = this.more.get(pair);
    if (list === undefined) {
      this.more.set(pair, [name, count]);
      return;
    }
    let i = 0;
    while (i < list.length && list[i] !== name) i += 2;
    if (i === list.length) list.push(name, count);
    else list[i + 1] = (list[i + 1] as number) + count;
  }

  /**
   * Adds the pair's counts to `into` by name (`names`: the fold's name table), a name not there yet
   * going last: summed over an origin's pairs, the same object `Object.fromEntries` makes of a Map
   * summed the same way, without the Map and the entry arrays.
   */
  sumInto(pair: number, names: readonly string[], into: Record<string, number>): void {
    const first = this.first[pair] as number;
    if (first === NONE) return;
    addCount(into, names[first] as string, this.firstCount[pair] as number);
    const more = this.more.get(pair);
    if (more !== undefined) for (let i = 0; i < more.length; i += 2) addCount(into, names[more[i] as number] as string, more[i + 1] as number);
  }

  /** The pair's `[name, count, …]`, in the order first met. */
  of(pair: number): number[] {
    const first = this.first[pair] as number;
    return first === NONE ? [] : [first, this.firstCount[pair] as number, ...(this.more.get(pair) ?? [])];
  }
}

/** `into[name] += count` on own properties only: a name is whatever a client sent (`toString`, `__proto__`). */
function addCount(into: Record<string, number>, name: string, count: number): void {
  if (Object.hasOwn(into, name)) into[name] = (into[name] as number) + count;
  // Assignment would call Object.prototype's `__proto__` setter; a data property is what fromEntries makes.
  else if (name === '__proto__') Object.defineProperty(into, name, { value: count, writable: true, enumerable: true, configurable: true });
  else into[name] = count;
}
