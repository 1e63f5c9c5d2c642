/**
 * The violation log's budget is a fair sample (issue #23 item 6): over many seeded intervals, an
 * origin sent once amid a flood of cheap origins is logged as often as a uniform sample of the
 * interval's distinct origins would log it — wherever in the interval it arrives — and a flood of
 * distinct origins holds no more than the budget in memory.
 */
import type { Decision } from '../../packages/cors-sentinel/src/engine/decision';
import { FairSample, IMMEDIATE_ORIGINS } from '../../packages/cors-sentinel/src/logging/fair-sample';
import { ViolationLogger } from '../../packages/cors-sentinel/src/logging/violation-logger';
import { hashOrigin, setHashSeed } from '../../packages/cors-sentinel/src/metrics/distinct-origins';
import { memoryLogger } from '../support/exchange';

/** mulberry32: a seeded source of per-interval sampling seeds. */
function seeds(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const rejected = (origin: string): Decision => ({ route: '/', requestType: 'actual', outcome: 'rejected', reason: 'origin_not_allowed', origin, headers: [], vary: [], status: 200 }) as unknown as Decision;

// The origin hash's process seed and the per-interval sampling seeds are both fixed: a reproducible run.
setHashSeed(0x5eed);

const BUDGET = 10;
const CHEAP = 100;
const INTERVALS = 1000;
const ATTACKER = 'https://attacker.evil.test';

/** How many of `INTERVALS` intervals logged the attacker, sent once at position `at` among CHEAP cheap origins. */
function timesLogged(at: number, seed: number): { logged: number; lines: number; notShown: number[] } {
  const log = memoryLogger();
  const logger = new ViolationLogger(log.logger, { maxPerInterval: BUDGET, intervalMs: 3_600_000, samplingSeed: seeds(seed) });
  let logged = 0;
  const notShown: number[] = [];
  for (let interval = 0; interval < INTERVALS; interval++) {
    log.lines.length = 0;
    for (let i = 0; i <= CHEAP; i++) {
      if (i === at) logger.violation(rejected(ATTACKER), undefined);
      // Cheap origins repeat: repetition buys no extra chance.
      if (i < CHEAP) for (let r = 0; r < 1 + (i % 3); r++) logger.violation(rejected(`https://junk${interval}-${i}.blinder.test`), undefined);
    }
    logger.flush();
    if (log.lines.some((l) => l.message === 'cors violation' && l.origin === ATTACKER)) logged++;
    const lines = log.lines.filter((l) => l.message === 'cors violation').length;
    expect(lines).toBe(BUDGET);
    notShown.push((log.lines.find((l) => l.message === 'cors rejected origins') as { distinctOriginsNotShown: number }).distinctOriginsNotShown);
  }
  logger.close();
  return { logged, lines: BUDGET, notShown };
}

describe('fair sampling of the violation log budget', () => {
  // The first IMMEDIATE_ORIGINS distinct origins are written at once; the other slots are a uniform
  // sample of the remaining distinct origins: p = (BUDGET - 3) / (CHEAP + 1 - 3).
  const p = (BUDGET - IMMEDIATE_ORIGINS) / (CHEAP + 1 - IMMEDIATE_ORIGINS);
  const mean = p * INTERVALS;
  const sd = Math.sqrt(INTERVALS * p * (1 - p));

  it.each([
    ['right after the junk that spent a first-come budget', 10, 1],
    ['in the middle', 50, 2],
    ['last', CHEAP, 3],
  ])('an attacker sent once %s (position %s) is logged with the expected probability over seeded intervals', (_where, at, seed) => {
    const { logged, notShown } = timesLogged(at, seed);
    console.log(`fair sample: attacker at ${at} logged in ${logged} of ${INTERVALS} intervals (expected ${mean.toFixed(1)} ± ${sd.toFixed(1)})`);
    expect(Math.abs(logged - mean)).toBeLessThan(5 * sd);
    // 101 distinct origins, 10 in lines and up to 10 more named in the top list: about 81–91 unnamed
    // (HyperLogLog with 1,024 registers: a few per cent either way).
    expect(Math.min(...notShown)).toBeGreaterThan(70);
    expect(Math.max(...notShown)).toBeLessThan(100);
  });

  it('holds at most the budget under a flood of distinct origins, and logs exactly the budget', () => {
    const sample = new FairSample(BUDGET, seeds(7));
    let written = 0;
    let held = 0;
    for (let i = 0; i < 200_000; i++) {
      if (sample.offer(`https://flood${i}.test`, hashOrigin(`https://flood${i}.test`), () => ({ message: 'cors violation' })) !== undefined) written++;
      held = Math.max(held, sample.lineCount);
    }
    expect(held).toBe(BUDGET);
    expect(written).toBe(IMMEDIATE_ORIGINS);
    expect(sample.drain()).toHaveLength(BUDGET - IMMEDIATE_ORIGINS);
    expect(sample.lineCount).toBe(0);
  });

  it('a quiet interval is logged at once, without waiting for its end', () => {
    const log = memoryLogger();
    const logger = new ViolationLogger(log.logger, { maxPerInterval: BUDGET, intervalMs: 3_600_000 });
    for (const o of ['https://a.test', 'https://b.test', 'https://a.test']) logger.violation(rejected(o), undefined);
    expect(log.lines.map((l) => l.origin)).toEqual(['https://a.test', 'https://b.test']);
    logger.close();
  });
});
