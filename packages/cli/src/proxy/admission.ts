/**
 * What a client must show before it may hold an upstream connection (the nginx way): its request body,
 * read into memory up to a limit at a minimum pace; no more than a few requests in flight per client
 * address; and a bounded wait for a free upstream connection. Slow or greedy clients then cost the
 * proxy memory and a socket each, never the backend's connections, and a request that cannot get a
 * connection in time is answered 503 instead of waiting for minutes.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export interface ClientBodyLimits {
  /** Bodies up to this size are read completely before an upstream connection is taken. */
  readonly bufferBytes: number;
  /** Longest silence while a body arrives; also the grace period before the minimum rate applies. */
  readonly idleTimeoutMs: number;
  /** After the grace period the body must have averaged at least this rate (0: no minimum). */
  readonly minBytesPerSecond: number;
}

/**
 * The client's body as it may go upstream: absent, complete in memory, or (larger than the buffer) the
 * buffered part followed by the rest as it arrives, still paced. `too_slow` is a 408, `gone` nothing.
 */
export type ClientBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffered'; readonly body: Buffer }
  | { readonly kind: 'streaming'; readonly body: Readable; readonly pace: BodyPace }
  | { readonly kind: 'too_slow' }
  | { readonly kind: 'gone' };

/**
 * Watches a body's pace with one timer that is re-armed only when it fires (never per chunk): the body
 * is too slow once it has been silent for `idleTimeoutMs`, or once, after that grace period, it has
 * averaged less than `minBytesPerSecond` (Apache's mod_reqtimeout `body=…,MinRate=…` rule).
 */
export class BodyPace {
  private bytes = 0;
  private readonly started = Date.now();
  private last = this.started;
  private timer: NodeJS.Timeout | undefined;
  expired = false;

  constructor(
    private readonly limits: ClientBodyLimits,
    private onExpire: () => void,
  ) {
    this.arm(limits.idleTimeoutMs);
  }

  received(length: number): void {
    this.bytes += length;
    this.last = Date.now();
  }

  /** What to do when the pace is missed from now on. */
  whenExpired(onExpire: () => void): void {
    this.onExpire = onExpire;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private deadline(): number {
    const { idleTimeoutMs, minBytesPerSecond } = this.limits;
    const idle = this.last + idleTimeoutMs;
    return minBytesPerSecond > 0 ? Math.min(idle, this.started + idleTimeoutMs + (this.bytes * 1000) / minBytesPerSecond) : idle;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(ms, 20));
    this.timer.unref();
  }

  private check(): void {
    const left = this.deadline() - Date.now();
    if (left > 0) return this.arm(left);
    this.expired = true;
    this.onExpire();
  }
}

/** Whether the request announces a body (Node has already refused ambiguous framing). */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Reads the body into memory up to `bufferBytes` at the required pace; see ClientBody. */
export function readClientBody(req: IncomingMessage, limits: ClientBodyLimits): Promise<ClientBody> {
  if (!hasRequestBody(req)) return Promise.resolve({ kind: 'none' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (body: ClientBody): void => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (body.kind !== 'streaming') pace.stop();
      resolve(body);
    };
    const pace = new BodyPace(limits, () => settle({ kind: 'too_slow' }));
    const onData = (chunk: Buffer): void => {
      pace.received(chunk.length);
      chunks.push(chunk);
      size += chunk.length;
      if (size < limits.bufferBytes) return;
      req.pause();
      // From now on a missed pace cuts the request, whether it still waits for a slot or streams upstream.
      pace.whenExpired(() => req.destroy(Object.assign(new Error('client body too slow'), { code: 'CLIENT_BODY_TOO_SLOW' })));
      settle({ kind: 'streaming', body: Readable.from(restOfBody(Buffer.concat(chunks, size), req, pace), { objectMode: false }), pace });
    };
    const onEnd = (): void => settle({ kind: 'buffered', body: Buffer.concat(chunks, size) });
    const onClose = (): void => settle({ kind: 'gone' });
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

async function* restOfBody(buffered: Buffer, req: IncomingMessage, pace: BodyPace): AsyncGenerator<Buffer> {
  try {
    yield buffered;
    for await (const chunk of req) {
      pace.received((chunk as Buffer).length);
      yield chunk as Buffer;
    }
  } finally {
    pace.stop();
  }
}

/** Requests in flight per client address; `enter` refuses beyond `max` (0: no cap). */
export class ClientLimiter {
  private readonly active = new Map<string, number>();

  constructor(private readonly max: number) {}

  enter(address: string): boolean {
    if (this.max === 0) return true;
    const count = this.active.get(address) ?? 0;
    if (count >= this.max) return false;
    this.active.set(address, count + 1);
    return true;
  }

  leave(address: string): void {
    if (this.max === 0) return;
    const count = (this.active.get(address) ?? 1) - 1;
    if (count <= 0) this.active.delete(address);
    else this.active.set(address, count);
  }
}

export type SlotWait = 'ok' | 'queue_timeout' | 'queue_full' | 'gone';

interface Waiter {
  readonly wake: (result: SlotWait) => void;
}

/**
 * As many slots as upstream connections. A request takes one before it is dispatched and gives it
 * back when its exchange ends; without a free slot it waits in a FIFO bounded in length and in time.
 */
export class UpstreamSlots {
  private free: number;
  private readonly queue: Waiter[] = [];

  constructor(
    size: number,
    private readonly waitMs: number,
    private readonly maxQueued: number,
  ) {
    this.free = size;
  }

  /** Takes a free slot at once (the common case: no promise, no timer). */
  tryTake(): boolean {
    if (this.free === 0) return false;
    this.free--;
    return true;
  }

  /** Waits for a slot; `signal` ends the wait when the client leaves. */
  wait(signal: AbortSignal): Promise<SlotWait> {
    if (signal.aborted) return Promise.resolve('gone');
    if (this.queue.length >= this.maxQueued) return Promise.resolve('queue_full');
    return new Promise((resolve) => {
      const done = (result: SlotWait): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', gone);
        const at = this.queue.indexOf(waiter);
        if (at !== -1) this.queue.splice(at, 1);
        resolve(result);
      };
      const waiter: Waiter = { wake: done };
      const gone = (): void => done('gone');
      const timer = setTimeout(() => done('queue_timeout'), this.waitMs);
      signal.addEventListener('abort', gone, { once: true });
      this.queue.push(waiter);
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next.wake('ok'); // the slot passes straight to the longest waiter
    else this.free++;
  }
}
