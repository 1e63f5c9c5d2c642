import { OriginTable } from '../../packages/cli/src/suggest/origin-table';

/** FNV-1a over the bytes, as cors-sentinel's evidence/scan.ts hashes an origin. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/** The inverse of FNV's prime modulo 2^32 (Newton's iteration), to aim the last byte of an origin. */
function inversePrime(): number {
  let inverse = 0x01000193;
  for (let i = 0; i < 5; i++) inverse = Math.imul(inverse, 2 - Math.imul(0x01000193, inverse));
  return inverse;
}

/**
 * Origins an attacker would send to crowd the byte index: all share the low 12 bits of their hash, so
 * they share a home slot while the table has 4,096 slots (up to 2,048 origins). The last letter is
 * chosen, not searched for: FNV-1a's low bits depend only on the state's low bits, so the last step
 * lands on the target when the state's bits 8–11 agree and the letter is the right one.
 */
function collidingOrigins(count: number): string[] {
  const target = fnv1a('https://0.attacker.example') & 0xfff;
  const before = Math.imul(target, inversePrime()) & 0xfff; // what (state ^ letter) must be
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    const prefix = `https://${n.toString(36)}.attacker.exampl`;
    const state = fnv1a(prefix);
    const letter = (state ^ before) & 0xff;
    if ((state & 0xf00) === (before & 0xf00) && letter >= 0x61 && letter <= 0x7a) out.push(prefix + String.fromCharCode(letter));
  }
  for (const origin of out) if ((fnv1a(origin) & 0xfff) !== target) throw new Error(`${origin} does not collide`);
  return out;
}

const idOfBytes = (table: OriginTable, origin: string): number => {
  // Surrounding bytes, as in a file: the table must read only [start, end).
  const bytes = Buffer.from(`["${origin}",1]`, 'latin1');
  return table.idOfBytes(bytes, 2, 2 + origin.length, fnv1a(origin));
};

describe('OriginTable under origins crafted to collide', () => {
  const flood = collidingOrigins(400);

  it('numbers every origin once, from its bytes or its string, however they collide', () => {
    const table = new OriginTable();
    flood.forEach((origin, i) => expect(idOfBytes(table, origin)).toBe(i));
    flood.forEach((origin, i) => {
      expect(idOfBytes(table, origin)).toBe(i);
      expect(table.idOf(origin)).toBe(i);
      expect(table.list[i]).toBe(origin);
    });
    expect(table.size).toBe(400);
    const honest = idOfBytes(table, 'https://app.example.com');
    expect(honest).toBe(400);
    expect(idOfBytes(table, 'https://app.example.com')).toBe(400);
    expect(table.idOf('https://app.example.com')).toBe(400);
  });

  it('keeps every probe run within its limit, so a record of the flood never walks the whole flood', () => {
    const table = new OriginTable();
    for (const origin of flood) idOfBytes(table, origin);
    expect(table.longestRun).toBeLessThanOrEqual(128);
    // The same through the string path (version 1 records, JSON-read origins).
    const other = new OriginTable();
    for (const origin of flood) other.idOf(origin);
    expect(other.longestRun).toBeLessThanOrEqual(128);
    flood.forEach((origin, i) => expect(idOfBytes(other, origin)).toBe(i));
  });

  it('gives honest origins the same numbers as before: their runs stay short', () => {
    const table = new OriginTable();
    const origins = Array.from({ length: 5000 }, (_, i) => `https://t${i}.shops${i % 50}.example.com`);
    origins.forEach((origin, i) => expect(idOfBytes(table, origin)).toBe(i));
    origins.forEach((origin, i) => expect(table.idOf(origin)).toBe(i));
    expect(table.longestRun).toBeLessThan(64);
  });
});
