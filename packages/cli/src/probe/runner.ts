/**
 * Sends the planned requests to the one URL: the first alone (so an unreachable target fails fast
 * with one clear error), the rest a few at a time, never more than the budget, never past the
 * deadline. A later request that fails is counted, not fatal: one reset does not void the probe.
 */
import { ProbeFailure, send, type SendSettings } from './http';
import type { ProbeRequest, ProbeResponse } from './types';

export interface RunSettings {
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly budget: number;
  readonly concurrency: number;
  readonly insecure: boolean;
  /** Cancels the run like the deadline does (the caller no longer wants the answer). */
  readonly signal?: AbortSignal;
  readonly sendHeaders?: SendSettings['sendHeaders'];
  readonly body?: SendSettings['body'];
  readonly probeKey?: SendSettings['probeKey'];
}

export interface RunResult {
  readonly responses: ProbeResponse[];
  readonly sent: number;
  /** Planned requests not sent (budget or deadline) or without an answer. */
  readonly skipped: number;
}

export async function runRequests(url: URL, plan: readonly ProbeRequest[], s: RunSettings): Promise<RunResult> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), s.deadlineMs);
  timer.unref();
  const cancel = s.signal;
  const onCancel = (): void => deadline.abort();
  if (cancel?.aborted) deadline.abort();
  cancel?.addEventListener('abort', onCancel, { once: true });
  const settings: SendSettings = { timeoutMs: s.timeoutMs, insecure: s.insecure, signal: deadline.signal, sendHeaders: s.sendHeaders, body: s.body, probeKey: s.probeKey };
  const allowed = plan.slice(0, Math.max(0, s.budget));
  const responses: ProbeResponse[] = [];
  let sent = 0;
  try {
    const [first, ...rest] = allowed;
    if (first === undefined) return { responses, sent, skipped: plan.length };
    sent++;
    responses.push(await send(url, first, settings));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rest.length && !deadline.signal.aborted) {
        const req = rest[next++] as ProbeRequest;
        sent++;
        try {
          responses.push(await send(url, req, settings));
        } catch (err) {
          if (!(err instanceof ProbeFailure)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, s.concurrency) }, worker));
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
  return { responses, sent, skipped: plan.length - responses.length };
}
