/** The demo's terminal summary reads a real prom-client registry fed by the real middleware. */
import { Registry } from 'prom-client';
import request from 'supertest';
import { createDemoApp } from '../../packages/cli/src/demo/app';
import { formatSummary, snapshot, summarize } from '../../packages/cli/src/demo/summary';

describe('demo summary', () => {
  it('counts requests by outcome, the top rejected origins and preflights per actual request since the last snapshot', async () => {
    const registry = new Registry();
    const { app, cors } = createDemoApp({ registry, logger: false });
    try {
      await request(app).get('/api/products').set('Origin', 'https://app.example.com');
      const before = await snapshot(registry);
      await request(app).get('/api/products').set('Origin', 'https://app.example.com');
      await request(app).options('/api/orders/1').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'PUT');
      for (let i = 0; i < 3; i++) await request(app).options('/api/orders/1').set('Origin', 'https://evil.example.net').set('Access-Control-Request-Method', 'PUT');
      await request(app).get('/api/products').set('Origin', 'null');
      await request(app).get('/healthz');
      const s = summarize(before, await snapshot(registry));
      expect(s.allowed).toBe(2);
      expect(s.rejected).toBe(4);
      expect(s.preflights).toBe(4);
      expect(s.actual).toBe(2);
      expect(s.topRejected[0]).toEqual(['https://evil.example.net', 3]);
      const text = formatSummary(s, 5, new Date('2026-01-01T12:00:05Z'));
      expect(text).toContain('[12:00:05] last 5s: 6 cross-origin (allowed 2, rejected 4)');
      expect(text).toContain('2.00 preflights per actual request');
      expect(text).toContain('top rejected origins: https://evil.example.net (3), null (1)');
    } finally {
      cors.close();
    }
  });

  it('treats a counter reset as a restart, never as negative traffic', () => {
    const series = (value: number) => ({ requests: [{ labels: { outcome: 'allowed', request_type: 'actual', origin: 'a' }, value }], nonCors: value });
    expect(summarize(series(10), series(3))).toMatchObject({ allowed: 0, nonCors: 0 });
  });
});

