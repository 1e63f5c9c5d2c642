/**
 * Metrics for an API running as `node:cluster` workers: one `/metrics` in the primary with the sums
 * across workers (prom-client's AggregatorRegistry), origin label slots owned by the primary (its
 * LabelGuard; workers claim slots, report their counts and follow the label set it broadcasts) so
 * that every worker labels an origin alike, and one HyperLogLog seed handed out by the primary so
 * that the workers' distinct-origin sketches are merged, not their estimates summed.
 *
 *     if (cluster.isPrimary) {
 *       await clusterMetrics({ port: 9464 });        // aggregated /metrics + the slot authority
 *       for (let i = 0; i < n; i++) cluster.fork();
 *     } else {
 *       app.use(corsSentinel({ ..., metrics: { cluster: true } }));
 *     }
 */
import cluster from 'node:cluster';
import { randomInt } from 'node:crypto';
import type { Server } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { closeAdmin, createAdminListener, listenOn } from './admin-listener';
import { createMetricsHandler, type MetricsAuth } from './handler';
import { distinctRegisters } from './metrics';
import { estimateRegisters, mergeRegisters, setHashSeed } from './distinct-origins';
import { DEFAULT_LABEL_HOLD_MS, LabelGuard, type GuardState } from './label-guard';
import { DEFAULT_ORIGIN_LABEL_LIMIT, type SlotAuthority, type SlotReport } from './origin-labeler';

const HELLO = 'cors-sentinel:hello';
const CLAIM = 'cors-sentinel:claim-slot';
const RESULT = 'cors-sentinel:slot-result';
const REPORT = 'cors-sentinel:slot-report';
const STATE = 'cors-sentinel:label-state';
const SKETCH_ASK = 'cors-sentinel:sketch-ask';
const SKETCH = 'cors-sentinel:sketch';
/** A worker whose primary does not answer folds that request's origin (counts stay exact, under `__other__`). */
const CLAIM_TIMEOUT_MS = 5000;
const SKETCH_TIMEOUT_MS = 2000;

type Message = { readonly type?: unknown } & Record<string, unknown>;
const send = (message: object): void => void process.send?.(message);

/** In a worker: asks the primary for slots and its seed over IPC, and answers its sketch requests. */
export class ClusterSlotAuthority implements SlotAuthority {
  private nextId = 0;
  private readonly waiting = new Map<number, (answer: { granted: boolean; state: GuardState }) => void>();
  private readonly followers: Array<(state: GuardState) => void> = [];

  constructor(private readonly registries: ReadonlySet<Registry>) {
    process.on('message', (msg: unknown) => this.receive(msg as Message | null));
    send({ type: HELLO });
  }

  claim(origin: string, allowed: boolean): Promise<{ granted: boolean; state: GuardState } | undefined> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, CLAIM_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      send({ type: CLAIM, id, origin, allowed });
    });
  }

  report(report: SlotReport): void {
    send({ type: REPORT, ...report });
  }

  follow(onState: (state: GuardState) => void): void {
    this.followers.push(onState);
  }

  private receive(m: Message | null): void {
    if (m?.type === RESULT && typeof m.id === 'number' && isState(m.state)) {
      this.waiting.get(m.id)?.({ granted: m.granted === true, state: m.state });
      this.waiting.delete(m.id);
    } else if (m?.type === STATE && isState(m.state)) {
      if (typeof m.seed === 'number') setHashSeed(m.seed);
      for (const f of this.followers) f(m.state);
    } else if (m?.type === SKETCH_ASK) {
      const sketches = [...this.registries].flatMap((r) => distinctRegisters(r));
      send({ type: SKETCH, id: m.id, sketches: sketches.map((s) => ({ name: s.name, window: s.window, registers: Buffer.from(s.registers).toString('base64') })) });
    }
  }
}

function isState(value: unknown): value is GuardState {
  const s = value as Partial<GuardState> | null;
  return typeof s === 'object' && s !== null && Array.isArray(s.labels) && Array.isArray(s.reserved);
}

const workerRegistries = new Set<Registry>();
let workerAuthority: ClusterSlotAuthority | undefined;

/**
 * Offers a worker's registry for aggregation (beside any offered before) and returns the worker's
 * slot authority; undefined outside cluster workers.
 */
export function joinClusterMetrics(registry: Registry): SlotAuthority | undefined {
  if (!cluster.isWorker) return undefined;
  // Constructing an AggregatorRegistry is what makes prom-client answer the primary's requests.
  if (workerAuthority === undefined) new AggregatorRegistry();
  workerRegistries.add(registry);
  AggregatorRegistry.setRegistries([...workerRegistries]);
  return (workerAuthority ??= new ClusterSlotAuthority(workerRegistries));
}

export interface ClusterMetricsOptions {
  /** Port of the aggregated `/metrics` (0: any free port). */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly path?: string;
  readonly auth?: MetricsAuth;
  /** Must equal the workers' `metrics.originLabelLimit`. Default 50. */
  readonly originLabelLimit?: number;
  /** Must equal the workers' `metrics.originLabelHoldMs`. Default 60 000. */
  readonly originLabelHoldMs?: number;
}

export interface ClusterMetrics {
  readonly server: Server;
  readonly registry: AggregatorRegistry<Registry['contentType']>;
  close(): Promise<void>;
}

interface WorkerHandle {
  send(message: object): unknown;
}

/**
 * The primary's label guard: answers claims, adds up the workers' reports, rebalances on a timer
 * and broadcasts every change of the label set (with the hash seed) to all workers.
 */
function serveLabelSlots(limit: number, holdMs: number, seed: number): { onMessage(worker: WorkerHandle, m: Message): void; stop(): void } {
  const guard = new LabelGuard(limit, holdMs, Date.now());
  const broadcast = (): void => {
    const message = { type: STATE, seed, state: guard.state() };
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(message);
  };
  const timer = setInterval(() => {
    if (guard.tick(Date.now()).length > 0) broadcast();
  }, Math.max(10, Math.floor(holdMs / 6)));
  timer.unref();
  return {
    onMessage(worker, m) {
      if (m.type === HELLO) {
        worker.send({ type: STATE, seed, state: guard.state() });
      } else if (m.type === CLAIM && typeof m.id === 'number' && typeof m.origin === 'string') {
        const before = guard.used;
        const { granted, released } = guard.claim(m.origin, m.allowed === true);
        worker.send({ type: RESULT, id: m.id, granted, state: guard.state() });
        if (guard.used !== before || released !== undefined) broadcast();
      } else if (m.type === REPORT && Array.isArray(m.labelled) && Array.isArray(m.candidates)) {
        for (const [origin, n, allowed] of m.labelled as Array<[unknown, unknown, unknown]>) {
          if (typeof origin !== 'string' || typeof n !== 'number') continue;
          guard.seen(origin, false, n);
          if (typeof allowed === 'number' && allowed > 0) guard.seen(origin, true, 0);
        }
        for (const [origin, n] of m.candidates as Array<[unknown, unknown]>) {
          if (typeof origin === 'string' && typeof n === 'number' && n > 0) guard.observe(origin, n);
        }
      }
    },
    stop: () => clearInterval(timer),
  };
}

/** Asks every worker for its distinct-origin registers and merges them (register maximum) per gauge and window. */
async function mergedDistinct(): Promise<string> {
  const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && w.isConnected());
  const id = randomInt(2 ** 31);
  const merged = new Map<string, Map<string, Uint8Array>>();
  await new Promise<void>((resolve) => {
    let pending = workers.length;
    if (pending === 0) return resolve();
    const timer = setTimeout(resolve, SKETCH_TIMEOUT_MS);
    const collect = (m: Message): void => {
      if (m.id !== id || !Array.isArray(m.sketches)) return;
      for (const s of m.sketches as Array<{ name?: unknown; window?: unknown; registers?: unknown }>) {
        if (typeof s.name !== 'string' || typeof s.window !== 'string' || typeof s.registers !== 'string') continue;
        const registers = new Uint8Array(Buffer.from(s.registers, 'base64'));
        const byWindow = merged.get(s.name) ?? new Map<string, Uint8Array>();
        merged.set(s.name, byWindow);
        const into = byWindow.get(s.window);
        if (into === undefined) byWindow.set(s.window, registers);
        else mergeRegisters(into, registers);
      }
      if (--pending === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    sketchCollectors.set(id, collect);
    for (const w of workers) w?.send({ type: SKETCH_ASK, id });
  });
  sketchCollectors.delete(id);
  let text = '';
  for (const [name, byWindow] of merged) {
    text += `# HELP ${name} Estimated distinct rejected origins per sliding window (HyperLogLog, merged across workers).\n# TYPE ${name} gauge\n`;
    for (const [window, registers] of byWindow) text += `${name}{window="${window.replace(/["\\\n]/g, '')}"} ${estimateRegisters(registers)}\n`;
  }
  return text;
}

const sketchCollectors = new Map<number, (m: Message) => void>();

/** In the primary: serves the workers' summed metrics, owns the origin label slots and the hash seed. */
export async function clusterMetrics(options: ClusterMetricsOptions): Promise<ClusterMetrics> {
  if (!cluster.isPrimary) throw new Error('cors-sentinel: clusterMetrics() runs in the cluster primary');
  const slots = serveLabelSlots(options.originLabelLimit ?? DEFAULT_ORIGIN_LABEL_LIMIT, options.originLabelHoldMs ?? DEFAULT_LABEL_HOLD_MS, randomInt(2 ** 32));
  const onMessage = (worker: WorkerHandle, msg: unknown): void => {
    const m = msg as Message | null;
    if (m === null || typeof m !== 'object') return;
    if (m.type === SKETCH && typeof m.id === 'number') sketchCollectors.get(m.id)?.(m);
    else slots.onMessage(worker, m);
  };
  cluster.on('message', onMessage);

  const registry: AggregatorRegistry<Registry['contentType']> = new AggregatorRegistry();
  // The handler asks for `metrics()`: every worker's metrics summed, plus the merged distinct-origin sketches.
  const aggregated = {
    metrics: async () => (await registry.clusterMetrics()) + (await mergedDistinct()),
    contentType: registry.contentType,
  } as unknown as Registry;
  const handler = createMetricsHandler(aggregated, options.auth ? { auth: options.auth } : {});
  const server = createAdminListener({
    routes: { [options.path ?? '/metrics']: handler },
    notFound: (_req, res) => void res.writeHead(404).end(),
  });
  try {
    await listenOn(server, options.port, options.host);
  } catch (err) {
    // Nothing of it may keep running: the caller exits, or tries another port without a second
    // set of listeners and slot timers in the primary.
    cluster.off('message', onMessage);
    slots.stop();
    throw err;
  }
  return {
    server,
    registry,
    close: async () => {
      cluster.off('message', onMessage);
      slots.stop();
      await closeAdmin(server);
    },
  };
}
