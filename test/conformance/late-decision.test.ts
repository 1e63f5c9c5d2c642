/**
 * Attack (#12 item 3): a slow origin lookup while a layer in front has already answered (a timeout
 * middleware). Applying the late decision used to throw ERR_HTTP_HEADERS_SENT inside a promise; the
 * unhandled rejection ended the Node process. Now it is counted as a `late_decision` finding and dropped.
 */
import { metricSum } from '../support/sentinel';
import { send } from '../support/exchange';
import { ADAPTERS } from './servers';

const TENANT = 'https://tenant.example.org';

describe.each(ADAPTERS.map((a) => [a.name, a] as const))('%s: late decisions', (_name, adapter) => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(() => process.on('unhandledRejection', onRejection));
  afterAll(() => process.off('unhandledRejection', onRejection));

  it.each([
    ['an actual request', { method: 'GET', headers: { Origin: TENANT } }],
    ['a preflight', { method: 'OPTIONS', headers: { Origin: TENANT, 'Access-Control-Request-Method': 'PUT' } }],
  ])('%s whose lookup outlives the deadline is counted and dropped, and the process lives on', async (_kind, r) => {
    let lookups = 0;
    // Selective, as a real tenant lookup is: a resolver that vouches for every origin is refused (reflect-any).
    const slow = (origin: string) => new Promise<boolean>((resolve) => {
      if (origin === TENANT) lookups++;
      setTimeout(() => resolve(origin === TENANT), 150);
    });
    const app = await adapter.start({ origins: ['https://app.example.com'], resolveOrigin: slow, resolverTimeoutMs: 2000 }, { deadlineMs: 20 });
    try {
      const res = await send(app.port, { ...r, path: '/api/items' });
      expect(res.status).toBe(503);
      expect(res.body).toBe('deadline');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      // The lookup ends after the answer (after the resolver's one-time reflect-any probe, which is slow too).
      const late = () => metricSum(app.registry, 'cors_response_findings_total', { finding: 'late_decision' });
      for (let waited = 0; (await late()) === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lookups).toBe(1);
      expect(await late()).toBe(1);
      // Dropped, not counted as an answer the browser never saw.
      expect(await metricSum(app.registry, 'cors_requests_total')).toBe(0);
      expect(rejections).toEqual([]);
      // The server still answers: the cached grant is now in time.
      const next = await send(app.port, { path: '/api/items', headers: { Origin: TENANT } });
      expect(next.status).toBe(200);
      expect(next.headers['access-control-allow-origin']).toBe(TENANT);
    } finally {
      await app.close();
    }
  });
});
