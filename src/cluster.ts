/**
 * Metrics for an API running as `node:cluster` workers: one `/metrics` in the primary with the sums
 * across workers (prom-client's AggregatorRegistry), and origin label slots handed out by the
 * primary so that every worker labels an origin alike.
 *
 *     if (cluster.isPrimary) {
 *       await clusterMetrics({ port: 9464 });        // aggregated /metrics + the slot authority
 *       for (let i = 0; i < n; i++) cluster.fork();
 *     } else {
 *       app.use(corsSentinel({ ..., metrics: { cluster: true } }));
 *     }
 */
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { createMetricsHandler, type MetricsAuth } from './metrics/handler';
import { DEFAULT_ORIGIN_LABEL_LIMIT, type ClaimAnswer, type SlotAuthority } from './metrics/origin-labeler';

const CLAIM = 'cors-sentinel:claim-slot';
const RESULT = 'cors-sentinel:slot-result';
/** A worker whose primary does not answer folds that request's origin (counts stay exact, under `__other__`). */
const CLAIM_TIMEOUT_MS = 5000;

interface ClaimMessage {
  readonly type: typeof CLAIM;
  readonly id: number;
  readonly origin: string;
}
interface ResultMessage {
  readonly type: typeof RESULT;
  readonly id: number;
  readonly granted: boolean;
  /** With a refusal: every origin that holds a slot (the list is final once the slots are full). */
  readonly slots?: readonly string[];
}

/** In a worker: asks the primary for slots over IPC. */
export class ClusterSlotAuthority implements SlotAuthority {
  private nextId = 0;
  private readonly waiting = new Map<number, (answer: ClaimAnswer) => void>();

  constructor() {
    process.on('message', (msg: unknown) => {
      const m = msg as Partial<ResultMessage> | null;
      if (m?.type !== RESULT || typeof m.id !== 'number') return;
      this.waiting.get(m.id)?.(m.granted === true ? { kind: 'granted' } : { kind: 'full', slots: Array.isArray(m.slots) ? m.slots : [] });
      this.waiting.delete(m.id);
    });
  }

  claim(origin: string): Promise<ClaimAnswer> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ kind: 'unanswered' });
      }, CLAIM_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      const message: ClaimMessage = { type: CLAIM, id, origin };
      process.send?.(message);
    });
  }
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
  return (workerAuthority ??= new ClusterSlotAuthority());
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
}

export interface ClusterMetrics {
  readonly server: Server;
  readonly registry: AggregatorRegistry<Registry['contentType']>;
  close(): Promise<void>;
}

/** In the primary: serves the workers' summed metrics and hands out origin label slots. */
export async function clusterMetrics(options: ClusterMetricsOptions): Promise<ClusterMetrics> {
  if (!cluster.isPrimary) throw new Error('cors-sentinel: clusterMetrics() runs in the cluster primary');
  const limit = options.originLabelLimit ?? DEFAULT_ORIGIN_LABEL_LIMIT;
  const slots = new Set<string>();
  const onMessage = (worker: { send(message: ResultMessage): unknown }, msg: unknown): void => {
    const m = msg as Partial<ClaimMessage> | null;
    if (m?.type !== CLAIM || typeof m.id !== 'number' || typeof m.origin !== 'string') return;
    let granted = slots.has(m.origin);
    if (!granted && slots.size < limit) {
      slots.add(m.origin);
      granted = true;
    }
    worker.send(granted ? { type: RESULT, id: m.id, granted } : { type: RESULT, id: m.id, granted, slots: [...slots] });
  };
  cluster.on('message', onMessage);

  const registry: AggregatorRegistry<Registry['contentType']> = new AggregatorRegistry();
  // The handler asks for `metrics()`; an aggregator answers with every worker's metrics summed.
  const aggregated = { metrics: () => registry.clusterMetrics(), contentType: registry.contentType } as unknown as Registry;
  const handler = createMetricsHandler(aggregated, options.auth ? { auth: options.auth } : {});
  const path = options.path ?? '/metrics';
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== path) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    server,
    registry,
    close: () =>
      new Promise((resolve) => {
        cluster.off('message', onMessage);
        server.close(() => resolve());
      }),
  };
}
