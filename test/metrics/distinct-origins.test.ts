import { SlidingHyperLogLog } from '../../src/metrics/distinct-origins';

describe('SlidingHyperLogLog', () => {
  it('estimates distinct values within a few percent, ignoring repeats', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 0);
    for (let i = 0; i < 200_000; i++) hll.add(`https://p${i}.attacker.test`);
    for (let i = 0; i < 100_000; i++) hll.add(`https://p${i}.attacker.test`);
    expect(Math.abs(hll.estimate() - 200_000) / 200_000).toBeLessThan(0.05);
  });

  it('is exact-ish for small counts and zero when empty', () => {
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

  it('moves to the next slice when the current one ends, and reuses a slot that held an old slice', () => {
    let now = 0;
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => now);
    for (let i = 0; i < 10; i++) hll.add(`https://a${i}.example`);
    now = 59_999; // same slice
    for (let i = 0; i < 10; i++) hll.add(`https://b${i}.example`);
    now = 60_000; // the next slice starts exactly here
    for (let i = 0; i < 10; i++) hll.add(`https://c${i}.example`);
    expect(hll.estimate()).toBe(30);
    now = 360_000; // slice 6 lands in slot 1, which held slice 1 (the c origins): emptied, not added to
    expect(hll.estimate()).toBe(0);
    for (let i = 0; i < 5; i++) hll.add(`https://d${i}.example`);
    expect(hll.estimate()).toBe(5);
    now = 30_000; // a clock stepped back: the add goes to the slice that time names, never a stale one
    hll.add('https://e.example');
    now = 360_000;
    expect(hll.estimate()).toBe(5);
  });

  it('counts again after clear(), in a slice the window reads', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 1_000);
    for (let i = 0; i < 10; i++) hll.add(`https://a${i}.example`);
    hll.clear();
    expect(hll.estimate()).toBe(0);
    for (let i = 0; i < 3; i++) hll.add(`https://b${i}.example`);
    expect(hll.estimate()).toBe(3);
  });

  it('takes the time from the caller when given (one clock read for several sketches)', () => {
    const hll = new SlidingHyperLogLog({ label: '5m', windowMs: 300_000, slices: 5 }, 12, () => 0);
    hll.addHash(0x12345678, 10_000);
    hll.addHash(0x9abcdef0, 10_000);
    expect(hll.estimate()).toBe(2);
  });
});
