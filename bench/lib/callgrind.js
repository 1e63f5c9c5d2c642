'use strict';
/**
 * Reading callgrind's dumps: the event totals of a dump, and, when the cache simulation ran
 * (`--cache-sim=yes`, optionally `--branch-sim=yes`), the footprint those events stand for.
 *
 * Instructions alone miss what a larger footprint costs: code and data that no longer fit the
 * first-level caches, or evict the framework's own (issue #32, Express). The cache simulation counts
 * those misses deterministically, like the instructions, so a busy machine can still read them.
 * `cycleEstimate` is KCachegrind's "Cycle Estimation" (CEst): Ir + 10 × (first-level misses +
 * mispredicted branches) + 100 × last-level misses. Its weights are a model, not this CPU's latencies
 * (here a first-level miss that hits the second level costs ~12 cycles and may overlap other work),
 * so it ranks two builds by footprint and instructions together; the native CPU time stays the
 * measurement that decides.
 */

/** The `events:` names and the `totals:` (or `summary:`) counts of one dump, as { Ir, I1mr, … }. */
function dumpEvents(text) {
  const names = /^events: (.+)$/m.exec(text);
  const totals = /^(?:totals|summary): (.+)$/m.exec(text);
  if (!names || !totals) throw new Error('not a callgrind dump: no events/totals lines');
  const counts = totals[1].trim().split(/\s+/).map(Number);
  const out = {};
  names[1].trim().split(/\s+/).forEach((name, i) => (out[name] = counts[i] ?? 0));
  return out;
}

/** Whether the dump carries the cache simulation's miss counts. */
const hasCacheEvents = (ev) => ev.I1mr !== undefined && ev.D1mr !== undefined;

/** First-level misses: instruction fetches, data reads and data writes. */
const l1Misses = (ev) => ev.I1mr + ev.D1mr + ev.D1mw;
/** Last-level misses (callgrind's LL: the last cache level it simulates). */
const llMisses = (ev) => ev.ILmr + ev.DLmr + ev.DLmw;
/** Mispredicted conditional and indirect branches (0 without `--branch-sim=yes`). */
const branchMisses = (ev) => (ev.Bcm ?? 0) + (ev.Bim ?? 0);

/** KCachegrind's cycle estimate of a dump with cache events. */
function cycleEstimate(ev) {
  return ev.Ir + 10 * (l1Misses(ev) + branchMisses(ev)) + 100 * llMisses(ev);
}

/**
 * V8's inline-cache miss handlers (`Runtime_LoadIC_Miss`, `Runtime_StoreIC_Miss`, the keyed, define and
 * global variants): each call is a property access that V8's caches could not answer, looked up in the
 * runtime (~2,000–2,500 instructions on Node 22, issue #32). Express re-prototypes every request and
 * response, so each first read of a property on them lands here; their count per request shows such a
 * read added or removed where the instruction totals, which move by thousands with GC, cannot.
 */
const IC_MISS = /\bRuntime_\w*IC_Miss\b/;

/**
 * The calls into V8's IC miss handlers recorded in a dump (summed over their callers). Needs a Node
 * binary with symbols (the official builds have them): 0 otherwise. Callgrind names a function once as
 * `(id) name` and then by `(id)` alone, in one table for `fn=` and `cfn=`.
 */
function icMissCalls(text) {
  const names = new Map();
  const resolve = (ref) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(ref);
    if (!m) return ref;
    if (m[2] !== undefined) names.set(m[1], m[2]);
    return names.get(m[1]) ?? ref;
  };
  let callee = '';
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) resolve(line.slice(3).trim());
    else if (line.startsWith('cfn=')) callee = resolve(line.slice(4).trim());
    else if (line.startsWith('calls=') && IC_MISS.test(callee)) total += Number(line.slice(6).split(' ')[0]);
  }
  return total;
}

module.exports = { dumpEvents, hasCacheEvents, l1Misses, llMisses, branchMisses, cycleEstimate, icMissCalls };
