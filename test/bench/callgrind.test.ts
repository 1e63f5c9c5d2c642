/**
 * bench/lib/callgrind.js reads the totals of a callgrind dump by the names on its `events:` line, so
 * that `bench:instructions --cache-sim` reports misses and KCachegrind's cycle estimate from the right
 * columns whatever events callgrind was asked for, and counts the calls into V8's inline-cache miss
 * handlers that `bench:instructions` reports per request (issue #32).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

type Events = Record<string, number>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain-JS bench helper, without types
const cg = require('../../bench/lib/callgrind') as {
  dumpEvents(text: string): Events;
  hasCacheEvents(ev: Events): boolean;
  l1Misses(ev: Events): number;
  llMisses(ev: Events): number;
  cycleEstimate(ev: Events): number;
  icMissCalls(text: string): number;
};

const CACHE_DUMP = [
  '# callgrind format', 'version: 1', 'creator: callgrind-3.19.0', 'cmd: node server.js', 'part: 2',
  'events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw', '', 'fn=(1) main', '0 1 2 3 4 5 6 7 8 9',
  'totals: 1000000 300000 200000 8000 4000 1000 30 20 10', '',
].join('\n');

describe('callgrind dumps', () => {
  it('reads each total under its event name', () => {
    const ev = cg.dumpEvents(CACHE_DUMP);
    expect(ev).toEqual({ Ir: 1_000_000, Dr: 300_000, Dw: 200_000, I1mr: 8000, D1mr: 4000, D1mw: 1000, ILmr: 30, DLmr: 20, DLmw: 10 });
    expect(cg.hasCacheEvents(ev)).toBe(true);
    expect(cg.l1Misses(ev)).toBe(13_000);
    expect(cg.llMisses(ev)).toBe(60);
  });

  it('estimates cycles as KCachegrind does: Ir + 10 × (L1 misses + mispredictions) + 100 × LL misses', () => {
    const ev = cg.dumpEvents(CACHE_DUMP);
    expect(cg.cycleEstimate(ev)).toBe(1_000_000 + 10 * 13_000 + 100 * 60);
    expect(cg.cycleEstimate({ ...ev, Bc: 5000, Bcm: 400, Bi: 100, Bim: 50 })).toBe(1_000_000 + 10 * (13_000 + 450) + 100 * 60);
  });

  it('reads a dump of instructions only, which has no cache events', () => {
    const ev = cg.dumpEvents('events: Ir\nsummary: 4242\n');
    expect(ev).toEqual({ Ir: 4242 });
    expect(cg.hasCacheEvents(ev)).toBe(false);
  });

  it('counts the calls into V8\'s IC miss handlers across callers, through callgrind\'s name table', () => {
    const dump = [
      'events: Ir', 'fn=(1) main', '0 10',
      'cfn=(2) v8::internal::Runtime_LoadIC_Miss(int, unsigned long*, v8::internal::Isolate*)', 'calls=3 0', '0 9000',
      'cfn=(3) Builtins_LoadIC_Megamorphic', 'calls=100 0', '0 5000',
      'fn=(4) Builtins_InterpreterEntryTrampoline', '0 10',
      'cfn=(2)', 'calls=4 0', '0 12000',
      'cfn=(5) v8::internal::Runtime_KeyedStoreIC_Miss(int, unsigned long*, v8::internal::Isolate*)', 'calls=1 0', '0 3000',
      'fn=(2)', '0 8000', 'cfn=(6) v8::internal::LookupIterator::Start<false>()', 'calls=7 0', '0 700',
      'totals: 37720', '',
    ].join('\n');
    expect(cg.icMissCalls(dump)).toBe(3 + 4 + 1);
    expect(cg.icMissCalls(CACHE_DUMP)).toBe(0);
  });

  it('refuses a file that is not a dump', () => {
    expect(() => cg.dumpEvents('totals: 12\n')).toThrow(/not a callgrind dump/);
  });

  const valgrind = (() => {
    try {
      execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // The real format, from the real tool: a short program under callgrind's cache simulation.
  (valgrind ? it : it.skip)('reads what callgrind --cache-sim=yes writes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-dump-'));
    try {
      const out = path.join(dir, 'cg.out');
      execFileSync('valgrind', ['--tool=callgrind', '--cache-sim=yes', `--callgrind-out-file=${out}`, 'true'], { stdio: 'ignore' });
      const ev = cg.dumpEvents(fs.readFileSync(out, 'utf8'));
      expect(cg.hasCacheEvents(ev)).toBe(true);
      expect(ev.Ir).toBeGreaterThan(1000);
      expect(cg.l1Misses(ev)).toBeGreaterThan(0);
      expect(cg.cycleEstimate(ev)).toBeGreaterThan(ev.Ir!);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The real thing: 2,000 reads of one property at one site, on objects of one hidden class, then on
  // objects that each have a hidden class of their own (a prototype each, as Express gives every
  // request): the second program misses V8's caches at least once per object.
  (valgrind ? it : it.skip)('counts the IC misses of a real Node program under callgrind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-ic-'));
    const program = [
      "const distinct = process.argv[2] === 'distinct';",
      'const objs = [];',
      'for (let i = 0; i < 2000; i++) objs.push(distinct ? Object.setPrototypeOf({ v: i }, { p: i }) : { v: i });',
      'let s = 0;',
      'const read = (o) => o.v;',
      'for (const o of objs) s += read(o);',
      'if (s !== 1999000) throw new Error(String(s));',
    ].join('\n');
    try {
      fs.writeFileSync(path.join(dir, 'reads.js'), program);
      const misses = async (mode: string): Promise<number> => {
        const out = path.join(dir, `cg.${mode}`);
        await promisify(execFile)('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, '--dump-instr=no', '--collect-jumps=no', process.execPath, path.join(dir, 'reads.js'), mode]);
        return cg.icMissCalls(fs.readFileSync(out, 'utf8'));
      };
      const [same, distinct] = await Promise.all([misses('same'), misses('distinct')]);
      expect(same).toBeGreaterThan(0); // Node's own start-up misses: the binary's symbols were read
      expect(distinct - same).toBeGreaterThanOrEqual(2000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // two Node processes under valgrind (~5 s each when idle)
});
