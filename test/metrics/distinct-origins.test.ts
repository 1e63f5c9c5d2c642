import { setHashSeed, SlidingHyperLogLog } from '../../packages/cors-sentinel/src/metrics/distinct-origins';

describe('SlidingHyperLogLog', () => {
  it('estimates distinct values within a few percent, ignoring repeats', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 0);
    for (let i = 0; i < 200_000; i++) hll.add(`https://p${i}.attacker.test`);
    for (let i = 0; i < 100_000; i++) hll.add(`https://p${i}.attacker.test`);
    expect(Math.abs(hll.estimate() - 200_000) / 200_000).toBeLessThan(0.05);
  });

  it('is exact-ish for small counts and zero when empty', () => {
    // A fixed seed: with the process's random one, two of ten origins share a register about once in
    // a hundred runs (and the estimate reads 9).
    setHashSeed(7);
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 0);
    expect(hll.estimate()).toBe(0);
    for (let i = 0; i < 10; i++) hll.add(`https://o${i}.example`);
    expect(hll.estimate()).toBe(10);
  });

  it('forgets values once their slice leaves the window', () => {
    let now = 0;
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => now);
    for (let i = 0; i < 1000; i++) hll.add(`https://old${i}.example`);
    now = 240_000; // four slices later: still inside
    for (let i = 0; i < 500; i++) hll.add(`https://new${i}.example`);
    expect(Math.abs(hll.estimate() - 1500)).toBeLessThan(75);
    now = 300_000; // the first slice has left the window
    expect(Math.abs(hll.estimate() - 500)).toBeLessThan(25);
    now = 1_000_000;
    expect(hll.estimate()).toBe(0);
  });

  // Hashes that land in distinct registers (the top 12 bits pick it), so that the estimates below are
  // exact whatever the process's random seed (add() hashes with it; two origins may share a register).
  const distinctHashes = (from: number, n: number) => Array.from({ length: n }, (_, i) => ((from + i + 1) << 20) >>> 0);

  it('moves to the next slice when the current one ends, and reuses a slot that held an old slice', () => {
    let now = 0;
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => now);
    for (const h of distinctHashes(0, 10)) hll.addHash(h);
    now = 59_999; // same slice
    for (const h of distinctHashes(10, 10)) hll.addHash(h);
    now = 60_000; // the next slice starts exactly here
    for (const h of distinctHashes(20, 10)) hll.addHash(h);
    expect(hll.estimate()).toBe(30);
    now = 360_000; // slice 6 lands in slot 1, which held slice 1 (the last ten): emptied, not added to
    expect(hll.estimate()).toBe(0);
    for (const h of distinctHashes(30, 5)) hll.addHash(h);
    expect(hll.estimate()).toBe(5);
    now = 30_000; // a clock stepped back: the add goes to the slice that time names, never a stale one
    hll.addHash(distinctHashes(40, 1)[0] as number);
    now = 360_000;
    expect(hll.estimate()).toBe(5);
  });

  it('counts again after clear(), in a slice the window reads', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 1_000);
    for (const h of distinctHashes(0, 10)) hll.addHash(h);
    hll.clear();
    expect(hll.estimate()).toBe(0);
    for (const h of distinctHashes(10, 3)) hll.addHash(h);
    expect(hll.estimate()).toBe(3);
  });

  it('takes the time from the caller when given (one clock read for several sketches)', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 0);
    hll.addHash(0x12345678, 10_000);
    hll.addHash(0x9abcdef0, 10_000);
    expect(hll.estimate()).toBe(2);
  });
});
