/**
 * Blinding the monitoring (issue #12, items 8–10; #19 item 3), mounted over real sockets against the
 * real middleware, its /metrics and a captured winston transport:
 * - junk origins sent slowly fill every label slot; an attacker bursting afterwards must still get
 *   its own label, and the near-cap gauge must fall back once the pressure ends;
 * - origins crafted to land in one HyperLogLog register under the public seed 0 must not read as ~1;
 * - junk rejections spending the log budget must not keep the real attacker, or a rejected frontend,
 *   out of the log; violation and shadow lines name the method, the path and the offending token.
 */
import express from 'express';
import { Agent } from 'node:http';
import winston from 'winston';
import Transport from 'winston-transport';
import { Registry } from 'prom-client';
import { corsSentinel } from '../../packages/cors-sentinel/src/adapters/express';
import { v3 as murmur3 } from 'murmurhash';
import { sumSamples } from '../support/metrics-text';
import { listen, send } from '../support/http';
import { within } from '../support/tcp-proxy';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function app(options: Parameters<typeof corsSentinel>[0]) {
  const cors = corsSentinel(options);
  const a = express();
  if (options?.metrics !== false) a.get('/metrics', cors.metricsHandler());
  a.use(cors);
  a.all('/api/{*rest}', (_req, res) => void res.json({ ok: true }));
  const server = await listen(a);
  const metrics = async (): Promise<string> => (await send(server.port, '/metrics')).body;
  return { cors, server, metrics, close: async () => (await server.close(), cors.close()) };
}

class Captured extends Transport {
  readonly lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push(info);
    next();
  }
}

describe('blinding the origin label guard', () => {
  it('50 junk origins sent slowly take every slot; an attacker bursting afterwards still gets its own label', async () => {
    const t = await app({ origins: ['https://app.example.com'], logger: false, metrics: { registry: new Registry(), originLabelHoldMs: 300 } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      for (let i = 0; i < 50; i++) {
        await send(t.server.port, '/api/x', { Origin: `https://junk${i}.blinder.test` }, 'GET', agent);
        await sleep(10);
      }
      let text = await t.metrics();
      expect(sumSamples(text, 'cors_origin_label_values')).toBe(50);
      expect(sumSamples(text, 'cors_origin_label_limit')).toBe(50);
      await sleep(400); // the junk has held its slots longer than the hold period

      const burst = async (n: number): Promise<void> => {
        await Promise.all(Array.from({ length: n }, () => send(t.server.port, '/api/x', { Origin: 'https://attacker.evil.test' }, 'GET', agent)));
      };
      await burst(100);
      const labelled = await within(3000, async () => {
        await burst(20); // still bursting
        return sumSamples(await t.metrics(), 'cors_requests_total', { origin: 'https://attacker.evil.test' }) > 0;
      }, 100);
      // eslint-disable-next-line no-console
      console.log(`label guard: the bursting attacker had its own label ${labelled} ms after its first burst`);
      text = await t.metrics();
      expect(sumSamples(text, 'cors_requests_total', { origin: 'https://attacker.evil.test', outcome: 'rejected' })).toBeGreaterThan(0);

      // The pressure ends: unused labels are released within 5 hold periods, and the near-cap ratio falls.
      await within(5000, async () => {
        const m = await t.metrics();
        return sumSamples(m, 'cors_origin_label_values') / sumSamples(m, 'cors_origin_label_limit') < 0.9;
      }, 200);
    } finally {
      agent.destroy();
      await t.close();
    }
  }, 30_000);
});

describe('blinding the distinct-origin estimate', () => {
  it('400 origins crafted for the public seed 0 (one register) read as about 400, not 1', async () => {
    // Offline, as an attacker would: origins whose seed-0 MurmurHash3 lands in register 0 (of 4096).
    const crafted: string[] = [];
    for (let i = 0; crafted.length < 400; i++) {
      const origin = `https://p${i}.crafted.test`;
      if (murmur3(origin, 0) >>> 20 === 0) crafted.push(origin);
    }
    const t = await app({ origins: ['https://app.example.com'], logger: false, metrics: { registry: new Registry() } });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      for (let i = 0; i < crafted.length; i += 40) {
        await Promise.all(crafted.slice(i, i + 40).map((o) => send(t.server.port, '/api/x', { Origin: o }, 'GET', agent)));
      }
      const estimate = sumSamples(await t.metrics(), 'cors_distinct_rejected_origins', { window: '5m' });
      // eslint-disable-next-line no-console
      console.log(`distinct estimate of 400 crafted origins: ${estimate}`);
      expect(Math.abs(estimate - 400)).toBeLessThan(40);
    } finally {
      agent.destroy();
      await t.close();
    }
  }, 60_000);
});

describe('blinding the violation log', () => {
  it('junk spending the budget keeps neither the bursting attacker nor a rejected frontend out of the log; lines say what failed', async () => {
    const log = new Captured();
    const t = await app({
      origins: ['https://app.example.com'],
      allowedHeaders: ['content-type'],
      logger: winston.createLogger({ transports: [log] }),
      logging: { maxPerInterval: 10, intervalMs: 3000 },
      metrics: false,
      reportOnly: { origins: ['https://app.example.com'], allowedHeaders: [] },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const preflight = (origin: string, headers: string): Promise<unknown> =>
      send(t.server.port, '/api/orders/1', { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': headers }, 'OPTIONS', agent);
    try {
      // 15 junk rejections of each kind: every per-reason budget of this interval is spent.
      for (let i = 0; i < 15; i++) {
        await send(t.server.port, '/api/x', { Origin: `https://junk${i}.blinder.test` }, 'GET', agent);
        await preflight(`https://junk${i}.blinder.test`, 'x-junk');
      }
      // The real attacker bursts, and the real frontend breaks (it sends a header the policy lacks).
      await Promise.all(Array.from({ length: 30 }, () => send(t.server.port, '/api/orders/1?secret=1', { Origin: 'https://attacker.evil.test' }, 'GET', agent)));
      await preflight('https://app.example.com', 'content-type, x-foo');
      // A report-only difference: the candidate would reject the frontend's content-type preflight.
      await preflight('https://app.example.com', 'content-type');
      await t.cors.settleReportOnly();
      await within(6000, () => log.lines.some((l) => l.message === 'cors rejected origins'), 50);

      const frontend = log.lines.find((l) => l.message === 'cors violation' && l.origin === 'https://app.example.com');
      expect(frontend).toMatchObject({
        reason: 'header_not_allowed', priority: 'previously_allowed', method: 'OPTIONS', path: '/api/orders/1', offending: 'x-foo',
      });
      const summary = log.lines.find((l) => l.message === 'cors rejected origins') as { topOrigins: Array<{ origin: string; count: number }> };
      expect(summary.topOrigins[0]).toEqual({ origin: 'https://attacker.evil.test', count: 30 });
      expect(summary.topOrigins.length).toBeLessThanOrEqual(10);
      const shadow = log.lines.find((l) => l.message === 'cors report-only difference');
      expect(shadow).toMatchObject({ change: 'would_reject', method: 'OPTIONS', path: '/api/orders/1', offending: 'content-type' });
    } finally {
      agent.destroy();
      await t.close();
    }
  }, 30_000);

  it('escapes and caps request text in the new fields', async () => {
    const log = new Captured();
    const t = await app({ origins: ['https://app.example.com'], logger: winston.createLogger({ transports: [log] }), metrics: false });
    try {
      const longPath = `/api/${'a'.repeat(300)}%0D%0Ainjected`;
      await send(t.server.port, longPath, { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'P\u00c4TCH' }, 'OPTIONS');
      const line = log.lines.find((l) => l.message === 'cors violation') as Record<string, string>;
      expect(line.reason).toBe('method_not_allowed');
      expect(line.offending).toBe('P\\u00c4TCH');
      expect(String(line.path).length).toBeLessThan(220);
      expect(line.path).not.toMatch(/[\r\n]/);
    } finally {
      await t.close();
    }
  });
});
