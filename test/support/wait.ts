/** Waiting in tests that watch a process or a poller: a pause, and a condition polled until a deadline. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it holds; past `timeoutMs` throws, naming `what` and, when given,
 * what `context()` says (a process's output).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 15_000, everyMs = 100, context }: { timeoutMs?: number; everyMs?: number; context?: () => string } = {},
): Promise<void> {
  for (const until = Date.now() + timeoutMs; !(await check()); await sleep(everyMs)) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${context ? `:\n${context()}` : ''}`);
  }
}
