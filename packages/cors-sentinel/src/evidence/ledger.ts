/**
 * The evidence ledger: per (route, origin), what was seen (./pair.ts), in bounded memory whatever the
 * traffic. Origins live in three pools so that a flood cannot push the real ones out:
 * - protected: origins the policy (or `expectedOrigins`) lists exactly, and origins established by
 *   evidence (seen on two or more days, here or in the file merged at start). Never evicted; capped.
 * - ordinary: other well-formed origins (wildcard and resolver grants, what a reflecting layer grants).
 *   A heavy-hitter table (../metrics/heavy-hitters.ts, Space-Saving): an origin that sends more than
 *   (flood size / capacity) requests stays whatever else arrives; one-off origins push each other out.
 * - attack-shaped: origins rejected for what they are (not listed, `null`, malformed, insecure), and
 *   `null`, malformed and `*.invalid` ones even when granted. A table of its own, so that a scan of
 *   rejected origins — the commonest flood — never touches the other two.
 * What a pool cuts is counted in `dropped`, so that a reader never takes "dropped" for "unused".
 */
import { INVALID_ORIGIN_LABEL, type Decision, type Reason } from '../engine/decision';
import { HeavyHitters } from '../metrics/heavy-hitters';
import { emptyEvidence, mergeEntry } from './merge';
import type { EvidenceFile, EvidenceInstance } from './format';
import { dayNumber, dayText, PairRecord } from './pair';

/** What the ledger reads of a request besides the decision (a CorsRequest is one). */
export interface EvidenceRequest {
  readonly method: string;
  readonly path: string;
  readonly accessControlRequestMethod?: string | undefined;
  readonly accessControlRequestHeaders?: string | undefined;
  readonly secFetchSite?: string | undefined;
}

export interface LedgerLimits {
  /** Origins in the protected pool. */
  readonly protectedOrigins: number;
  /** The ordinary pool's heavy-hitter capacity (it holds up to twice as many between cuts). */
  readonly ordinaryOrigins: number;
  readonly attackOrigins: number;
  /** Routes per protected origin: a writer without a route table keys routes on the path's first segment. */
  readonly routesPerOrigin: number;
  /** Routes per origin not (yet) established: a flood origin cannot fan out over many paths. */
  readonly routesPerNewOrigin: number;
  /** Pairs in the protected pool, all origins together. */
  readonly protectedPairs: number;
}

export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  protectedOrigins: 512, ordinaryOrigins: 256, attackOrigins: 128, routesPerOrigin: 32, routesPerNewOrigin: 4, protectedPairs: 2048,
};

/** Rejections that say something about the origin itself, not about what it asked for. */
const ORIGIN_REASONS: ReadonlySet<Reason | undefined> = new Set<Reason | undefined>(['origin_not_allowed', 'null_origin', 'invalid_origin', 'insecure_origin', 'host_not_allowed']);
const INVALID_TLD = /\.invalid(?::\d+)?$/;

type Routes = Map<string, PairRecord>;

/** One pool of origins; `table` (undefined for the protected pool) decides which stay. */
class Pool {
  readonly origins = new Map<string, Routes>();
  /** Pairs held, all origins together. */
  pairs = 0;
  constructor(
    readonly table: HeavyHitters | undefined,
    readonly routesPerOrigin: number,
    readonly pairBudget: number,
  ) {}

  /** Whether `routes` (one of this pool's origins) may take one more pair; `listed`: a configured origin, bounded by the configuration. */
  hasRoom(routes: Routes, listed: boolean): boolean {
    return routes.size < this.routesPerOrigin && (listed || this.pairs < this.pairBudget);
  }
}

export class EvidenceLedger {
  private readonly protectedPool: Pool;
  private readonly ordinary: Pool;
  private readonly attack: Pool;
  private readonly dropped = { requests: 0, pairs: 0 };
  private readonly earlier: Record<string, EvidenceInstance> = {};
  private readonly days = new Set<number>();
  private span: EvidenceInstance | undefined;
  private lastDay = -1;

  constructor(
    readonly instance: string,
    private readonly configured: ReadonlySet<string> = new Set(),
    readonly limits: LedgerLimits = DEFAULT_LEDGER_LIMITS,
  ) {
    this.protectedPool = new Pool(undefined, limits.routesPerOrigin, limits.protectedPairs);
    // A heavy-hitter table holds up to twice its capacity between cuts.
    this.ordinary = new Pool(new HeavyHitters(limits.ordinaryOrigins), limits.routesPerNewOrigin, 2 * limits.ordinaryOrigins * limits.routesPerNewOrigin);
    this.attack = new Pool(new HeavyHitters(limits.attackOrigins), limits.routesPerNewOrigin, 2 * limits.attackOrigins * limits.routesPerNewOrigin);
  }

  /**
   * Counts a decision about a CORS request (others are ignored) at `time` (epoch ms; a time that is not
   * a number is counted as dropped). `route` is the ledger's route key (./routes.ts).
   */
  record(route: string, decision: Decision, request: EvidenceRequest | undefined, credentialed: boolean, time: number): void {
    const origin = decision.origin;
    if (decision.outcome === undefined || origin === undefined) return;
    // A file must name every pair: an unusable time, origin or route is counted as dropped, never written.
    if (!(time >= 0) || origin === '' || route === '') {
      this.dropped.requests++;
      return;
    }
    this.mark(time);
    const routes = this.routesOf(origin, decision);
    if (routes === undefined) return;
    let pair = routes.get(route);
    if (pair === undefined) {
      const pool = this.poolOf(origin) as Pool;
      if (!pool.hasRoom(routes, this.configured.has(origin))) {
        this.dropped.requests++;
        this.dropped.pairs++;
        return;
      }
      pair = new PairRecord(route, origin);
      routes.set(route, pair);
      pool.pairs++;
    }
    const preflight = decision.requestType === 'preflight';
    const method = preflight ? request?.accessControlRequestMethod : request?.method;
    const newDay = pair.record(time, preflight, decision.outcome === 'allowed', method, preflight ? request?.accessControlRequestHeaders : undefined, credentialed, request?.secFetchSite);
    if (newDay && pair.days.length >= 2) this.establish(origin);
  }

  /** Notes that this instance was watching at `time`: its span and the day (a quiet day is not a gap). NaN: no time known. */
  mark(time: number): void {
    if (!(time >= 0)) return;
    const span = this.span;
    if (span === undefined) this.span = { firstSeen: time, lastSeen: time };
    else if (time > span.lastSeen) span.lastSeen = time;
    else if (time < span.firstSeen) span.firstSeen = time;
    const day = dayNumber(time);
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.days.add(day);
    }
  }

  /** Takes in a file written earlier (by this or another instance): its pairs join the pools like recorded ones. */
  absorb(file: EvidenceFile): void {
    for (const [name, span] of Object.entries(file.instances)) {
      const seen = this.earlier[name];
      this.earlier[name] = seen ? { firstSeen: Math.min(seen.firstSeen, span.firstSeen), lastSeen: Math.max(seen.lastSeen, span.lastSeen) } : { ...span };
    }
    for (const day of file.days) this.days.add(dayNumber(Date.parse(`${day}T00:00:00Z`)));
    this.dropped.requests += file.dropped.requests;
    this.dropped.pairs += file.dropped.pairs;
    for (const entry of file.entries) {
      const pair = PairRecord.fromEntry(entry);
      const established = this.configured.has(entry.origin) || pair.days.length >= 2;
      const pool = this.poolOf(entry.origin) ??
        (established && this.hasProtectedRoom(entry.origin) ? this.protectedPool : this.poolFor(entry.origin, pair.preflightAllowed + pair.actualAllowed === 0));
      const routes = this.admit(pool, entry.origin, Math.max(1, pair.requests));
      if (routes === undefined) {
        this.dropped.requests += pair.requests;
        continue;
      }
      const known = routes.get(entry.route);
      if (known === undefined && !pool.hasRoom(routes, this.configured.has(entry.origin))) this.dropPairs([pair]);
      else if (known === undefined) {
        routes.set(entry.route, pair);
        pool.pairs++;
      } else routes.set(entry.route, PairRecord.fromEntry(mergeEntry(known.toEntry(this.instance), entry)));
      if (established && pool !== this.protectedPool) this.establish(entry.origin);
    }
  }

  /** The ledger as an evidence file (what is written, and what `suggest` reads). */
  toFile(): EvidenceFile {
    const file = emptyEvidence();
    Object.assign(file.instances, this.earlier);
    if (this.span !== undefined) {
      const seen = file.instances[this.instance];
      file.instances[this.instance] = seen ? { firstSeen: Math.min(seen.firstSeen, this.span.firstSeen), lastSeen: Math.max(seen.lastSeen, this.span.lastSeen) } : { ...this.span };
    }
    file.days = [...this.days].sort((a, b) => a - b).map(dayText);
    file.dropped = { ...this.dropped };
    for (const pool of [this.protectedPool, this.ordinary, this.attack]) {
      for (const routes of pool.origins.values()) for (const pair of routes.values()) file.entries.push(pair.toEntry(this.instance));
    }
    return file;
  }

  /** Origins kept, by pool (for tests and the docs' figures). */
  sizes(): { protected: number; ordinary: number; attack: number } {
    return { protected: this.protectedPool.origins.size, ordinary: this.ordinary.origins.size, attack: this.attack.origins.size };
  }

  /** The routes of `origin`, found in its pool or admitted to the pool it belongs in; undefined when it was not kept. */
  private routesOf(origin: string, decision: Decision): Routes | undefined {
    const known = this.protectedPool.origins.get(origin);
    if (known !== undefined) return known;
    const ordinary = this.ordinary.origins.get(origin);
    if (ordinary !== undefined) {
      this.ordinary.table?.add(origin);
      return ordinary;
    }
    const attack = this.attack.origins.get(origin);
    if (attack !== undefined) {
      this.attack.table?.add(origin);
      return attack;
    }
    const pool = this.configured.has(origin) && this.hasProtectedRoom(origin)
      ? this.protectedPool
      : this.poolFor(origin, decision.outcome === 'rejected' && ORIGIN_REASONS.has(decision.reason));
    const routes = this.admit(pool, origin, 1);
    if (routes === undefined) this.dropped.requests++;
    return routes;
  }

  private poolOf(origin: string): Pool | undefined {
    for (const pool of [this.protectedPool, this.ordinary, this.attack]) if (pool.origins.has(origin)) return pool;
    return undefined;
  }

  private poolFor(origin: string, rejectedForItself: boolean): Pool {
    const attackShaped = rejectedForItself || origin === 'null' || origin === INVALID_ORIGIN_LABEL || INVALID_TLD.test(origin);
    return attackShaped ? this.attack : this.ordinary;
  }

  /** Configured origins always have room (the configuration bounds them); established ones up to the pool's cap. */
  private hasProtectedRoom(origin: string): boolean {
    return this.configured.has(origin) || this.protectedPool.origins.has(origin) || this.protectedPool.origins.size < this.limits.protectedOrigins;
  }

  /** Adds `origin` to `pool` with `weight`; when the pool's table cuts, the origins it cut are dropped. */
  private admit(pool: Pool, origin: string, weight: number): Routes | undefined {
    const table = pool.table;
    const known = pool.origins.get(origin);
    if (table === undefined || known !== undefined) {
      table?.add(origin, weight);
      const routes = known ?? new Map<string, PairRecord>();
      pool.origins.set(origin, routes);
      return routes;
    }
    const before = table.size;
    table.add(origin, weight);
    if (table.size <= before) this.sweep(pool, table);
    if (table.count(origin) === 0) {
      this.dropped.pairs++;
      return undefined;
    }
    const routes = new Map<string, PairRecord>();
    pool.origins.set(origin, routes);
    return routes;
  }

  /** After a cut of the table: forgets the origins it no longer counts. */
  private sweep(pool: Pool, table: HeavyHitters): void {
    for (const [origin, routes] of pool.origins) {
      if (table.count(origin) > 0) continue;
      pool.origins.delete(origin);
      pool.pairs -= routes.size;
      this.dropPairs(routes.values());
    }
  }

  private dropPairs(pairs: Iterable<PairRecord>): void {
    for (const pair of pairs) {
      this.dropped.pairs++;
      this.dropped.requests += pair.requests;
    }
  }

  /** An origin seen on a second day is a real one: it moves to the protected pool while there is room. */
  private establish(origin: string): void {
    if (this.protectedPool.origins.has(origin) || !this.hasProtectedRoom(origin)) return;
    for (const pool of [this.ordinary, this.attack]) {
      const routes = pool.origins.get(origin);
      if (routes === undefined) continue;
      if (this.protectedPool.pairs + routes.size > this.limits.protectedPairs) return;
      pool.origins.delete(origin);
      pool.table?.delete(origin);
      pool.pairs -= routes.size;
      this.protectedPool.origins.set(origin, routes);
      this.protectedPool.pairs += routes.size;
      return;
    }
  }
}
