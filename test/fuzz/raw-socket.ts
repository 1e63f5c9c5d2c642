/**
 * Drives a listener with generated batches over `net.connect` (no HTTP client to sanitise them):
 * each batch is written pipelined on one connection, then half-closed, and the answers are read
 * until the server closes. A batch fails when it gets a 5xx (unless the entry allows it) or neither
 * an answer nor a closed socket within the time limit.
 *
 * Knobs: FUZZ_SEED (default below, printed by every run), FUZZ_REQUESTS (answered requests per entry,
 * default 10 000), FUZZ_CONCURRENCY (connections at once, default 4).
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { batch as defaultBatch, type Batch } from './requests';

export const SEED = envInt('FUZZ_SEED', 0x5eed_2023);
export const REQUESTS = envInt('FUZZ_REQUESTS', 10_000);
const CONCURRENCY = envInt('FUZZ_CONCURRENCY', 4);
const BATCHES_PER_SAMPLE = 64;
const BATCH_TIMEOUT_MS = 30_000;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

export interface FuzzStats {
  readonly entry: string;
  readonly seed: number;
  /** Requests written (a server stops reading a connection after one it refuses). */
  sent: number;
  /** Final (non-1xx) answers read. */
  answered: number;
  connections: number;
  readonly statuses: Map<number, number>;
  readonly failures: string[];
  ms: number;
}

export interface FuzzOptions {
  /** Statuses that are a correct answer though ≥ 500 (a proxy's 502 for a broken upstream). */
  readonly allowStatus?: (status: number) => boolean;
  readonly batch?: fc.Arbitrary<Batch>;
  /** Answered requests to reach (default FUZZ_REQUESTS). */
  readonly requests?: number;
}

/** Fuzzes the listener on 127.0.0.1:`port` until `requests` answers were read; never throws for a finding. */
export async function fuzzListener(entry: string, port: number, options: FuzzOptions = {}): Promise<FuzzStats> {
  const stats: FuzzStats = { entry, seed: SEED, sent: 0, answered: 0, connections: 0, statuses: new Map(), failures: [], ms: 0 };
  const started = Date.now();
  const goal = options.requests ?? REQUESTS;
  for (let sample = 0; stats.answered < goal && stats.failures.length < 5; sample++) {
    // One seed per sample of batches: the same FUZZ_SEED replays the same traffic, whatever the timing.
    const batches = samples(options.batch ?? defaultBatch, SEED + sample);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length && stats.failures.length < 5) {
        const index = next++;
        await runBatch(port, batches[index] as Batch, `${entry} seed ${SEED + sample} batch ${index}`, stats, options);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  stats.ms = Date.now() - started;
  return stats;
}

/** Generated once per seed and arbitrary, and replayed against every entry of the file. */
const generated = new WeakMap<fc.Arbitrary<Batch>, Map<number, Batch[]>>();
function samples(arbitrary: fc.Arbitrary<Batch>, seed: number): Batch[] {
  let bySeed = generated.get(arbitrary);
  if (bySeed === undefined) generated.set(arbitrary, (bySeed = new Map()));
  let batches = bySeed.get(seed);
  if (batches === undefined) bySeed.set(seed, (batches = fc.sample(arbitrary, { seed, numRuns: BATCHES_PER_SAMPLE })));
  return batches;
}

async function runBatch(port: number, b: Batch, where: string, stats: FuzzStats, options: FuzzOptions): Promise<void> {
  const requests = b.hostile === null ? b.routable : [...b.routable, b.hostile];
  const methods = requests.map((r) => r.slice(0, r.indexOf(' ')));
  const { data, timedOut } = await exchange(port, Buffer.from(requests.join(''), 'latin1'), (text) => finalStatuses(text, methods).length >= b.routable.length);
  stats.connections++;
  stats.sent += requests.length;
  const statuses = finalStatuses(data, methods);
  stats.answered += statuses.length;
  for (const s of statuses) stats.statuses.set(s, (stats.statuses.get(s) ?? 0) + 1);
  const bad = statuses.findIndex((s) => s >= 500 && !(options.allowStatus?.(s) ?? false));
  if (bad !== -1) stats.failures.push(`${where}: request ${bad} answered ${statuses[bad]}:\n${show(requests[bad] ?? '')}\n--- answer ---\n${show(data)}`);
  if (timedOut) stats.failures.push(`${where}: neither answered nor closed within ${BATCH_TIMEOUT_MS} ms (${statuses.length}/${requests.length} answered); next request:\n${show(requests[statuses.length] ?? '')}`);
}

/**
 * Writes `payload` and reads until the server closes. Once `routableAnswered(data)` holds, the
 * client half-closes: a server then settles the last (hostile) request, which may be waiting for
 * bytes that never come, with an answer or a close. Half-closing earlier would make Node abort the
 * requests still in flight (no allowHalfOpen), and asynchronous answers would never be tested.
 */
function exchange(port: number, payload: Buffer, routableAnswered: (data: string) => boolean): Promise<{ data: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    let ended = false;
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, BATCH_TIMEOUT_MS);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!ended && routableAnswered(Buffer.concat(chunks).toString('latin1'))) {
        ended = true;
        socket.end();
      }
    });
    socket.on('error', () => undefined); // EPIPE / ECONNRESET: the server closed, which is an answer
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks).toString('latin1'), timedOut });
    });
  });
}

/**
 * The final statuses of the responses in `data`, parsed in order (Content-Length, chunked, no body
 * for HEAD / 1xx / 204 / 304, else to the end), so that a body's text is never taken for a status.
 */
export function finalStatuses(data: string, methods: readonly string[]): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(data.slice(at, at + 16));
    if (headEnd === -1 || !m) break;
    const status = Number(m[1]);
    const head = data.slice(at, headEnd).toLowerCase();
    at = headEnd + 4;
    if (status < 200) continue;
    const method = methods[out.length];
    out.push(status);
    if (method === 'HEAD' || status === 204 || status === 304) continue;
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (length) at += Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/.test(head)) at = skipChunks(data, at);
    else break; // delimited by the close
  }
  return out;
}

function skipChunks(data: string, at: number): number {
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) return data.length;
    const size = parseInt(data.slice(at, lineEnd), 16);
    if (!(size > 0)) {
      const end = data.indexOf('\r\n\r\n', lineEnd);
      return end === -1 ? data.length : end + 4;
    }
    at = lineEnd + 2 + size + 2;
  }
}

/** A request or answer for a failure message: escaped, at most 600 characters. */
function show(text: string): string {
  const escaped = JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}… (${text.length} chars)` : text);
  return escaped;
}

/** One line per entry for the report: seed, counts, statuses, time. */
export function summary(s: FuzzStats): string {
  const statuses = [...s.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(' ');
  return `fuzz ${s.entry}: seed ${s.seed}, ${s.sent} requests sent, ${s.answered} answered on ${s.connections} connections in ${s.ms} ms (${statuses})`;
}

/** Lines that look like a JavaScript stack frame. */
export const STACK_FRAME = /\n\s+at .+[(:]\d+/;
