/** The proxy's client-side limits as configuration: values that would wedge it are refused at creation. */
import { UpstreamSlots } from '../../packages/cli/src/proxy/admission';
import { createCorsProxy } from '../../packages/cli/src/proxy/proxy';

describe('proxy limits', () => {
  it('refuses every limit that would wedge the proxy, naming each with its default', () => {
    const create = (): unknown =>
      createCorsProxy({ upstream: 'http://127.0.0.1:9', policy: { origins: ['https://app.example.com'], logger: false }, upstreamConnections: 0, clientBodyTimeoutMs: -1, headersTimeoutMs: 1.5, maxRequestsPerClient: Number.NaN });
    expect(create).toThrow(/upstreamConnections[\s\S]*≥ 1 \(default 64\), got 0/);
    expect(create).toThrow(/clientBodyTimeoutMs[\s\S]*got -1/);
    expect(create).toThrow(/headersTimeoutMs[\s\S]*got 1\.5/);
    expect(create).toThrow(/maxRequestsPerClient[\s\S]*≥ 0/);
  });

  it('hands a released upstream slot to the longest waiter, and refuses waiters beyond the queue length', async () => {
    const slots = new UpstreamSlots(1, 60_000, 2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(false);
    const order: string[] = [];
    const first = slots.wait(new AbortController().signal).then((r) => order.push(`first ${r}`));
    const leaving = new AbortController();
    const second = slots.wait(leaving.signal).then((r) => order.push(`second ${r}`));
    expect(await slots.wait(new AbortController().signal)).toBe('queue_full');
    leaving.abort();
    slots.release();
    await Promise.all([first, second]);
    expect(order).toEqual(['second gone', 'first ok']);
    slots.release();
    expect(slots.tryTake()).toBe(true); // the slot came back
  });
});
