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
});
