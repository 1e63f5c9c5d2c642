/**
 * Real `node:cluster` workers behind one port: the primary's aggregated /metrics counts every
 * request exactly once, and origin label slots are the same in every worker.
 */
import { Agent, request } from 'node:http';
import path from 'node:path';
import { startProcess, type Started } from '../support/processes';
import { sumSamples } from '../support/metrics-text';

function get(port: number, pathname: string, headers: Record<string, string> = {}, agent?: Agent): Promise<{ headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: pathname, headers, agent: agent ?? false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('cluster workers', () => {
  let stack: Started;
  let api: number;
  let metrics: number;

  beforeAll(async () => {
    stack = await startProcess('node', [path.join(__dirname, 'fixture.js')], /READY api=(\d+) metrics=(\d+)/, 20_000, { WORKERS: '2', LABEL_LIMIT: '5' });
    api = Number(stack.match[1]);
    metrics = Number(stack.match[2]);
  });
  afterAll(() => stack?.stop());

  it('sums every worker\'s requests exactly and labels each origin alike in all of them', async () => {
    const sends: Array<Promise<{ headers: Record<string, unknown> }>> = [];
    for (let i = 0; i < 100; i++) sends.push(get(api, '/x', { Origin: 'https://app.example.com' }));
    // 30 rejected origins, 10 requests each, spread over fresh connections (so over both workers).
    for (let round = 0; round < 10; round++) for (let o = 0; o < 30; o++) sends.push(get(api, '/x', { Origin: `https://probe${o}.attacker.test` }));
    const replies = await Promise.all(sends);
    const workers = new Set(replies.map((r) => r.headers['x-worker']));
    expect(workers.size).toBe(2);

    let text = '';
    const deadline = Date.now() + 5000;
    do {
      text = (await get(metrics, '/metrics')).body;
    } while (sumSamples(text, 'cors_requests_total') < 400 && Date.now() < deadline);
    expect(sumSamples(text, 'cors_requests_total')).toBe(400);
    expect(sumSamples(text, 'cors_requests_total', { outcome: 'allowed', origin: 'https://app.example.com' })).toBe(100);

    // Exactly 5 probe origins got a slot, and each of them has all 10 of its requests under its own
    // name: no worker labelled it differently. The other 25 × 10 are __other__.
    const slotted = [...text.matchAll(/cors_requests_total\{[^}]*origin="(https:\/\/probe\d+\.attacker\.test)"[^}]*\} (\d+)/g)];
    expect(slotted).toHaveLength(5);
    for (const [, , count] of slotted) expect(Number(count)).toBe(10);
    expect(sumSamples(text, 'cors_requests_total', { origin: '__other__' })).toBe(250);
    expect(sumSamples(text, 'cors_origin_label_values')).toBe(5);
    expect(sumSamples(text, 'cors_origin_label_limit')).toBe(5);
    expect(sumSamples(text, 'cors_violations_total', { reason: 'origin_not_allowed' })).toBe(300);
  });

  it('merges the workers\' distinct-origin sketches: 12 origins seen by both workers read as 12, not 24', async () => {
    for (let o = 0; o < 12; o++) {
      const origin = `https://scan${o}.merge.test`;
      const seenBy = new Set<unknown>();
      for (let tries = 0; seenBy.size < 2 && tries < 50; tries++) seenBy.add((await get(api, '/x', { Origin: origin })).headers['x-worker']);
      expect(seenBy.size).toBe(2);
    }
    const text = (await get(metrics, '/metrics')).body;
    // The first test rejected 30 other origins within the same 5-minute window.
    const estimate = sumSamples(text, 'cors_distinct_rejected_origins', { window: '5m' });
    // −2: with the process's random seed, 42 origins leave two pairs sharing a register in about 2 % of
    // runs; summing the workers' estimates instead of merging registers would read about 12 more.
    expect(estimate).toBeGreaterThanOrEqual(30 + 12 - 2);
    expect(estimate).toBeLessThanOrEqual(30 + 12 + 1);
    expect(text.match(/^cors_distinct_rejected_origins\{window="5m"\}/gm)).toHaveLength(1);
  });
});

describe('cluster workers under a blinder', () => {
  let stack: Started;
  let api: number;
  let metrics: number;

  beforeAll(async () => {
    stack = await startProcess('node', [path.join(__dirname, 'fixture.js')], /READY api=(\d+) metrics=(\d+)/, 20_000, { WORKERS: '2', LABEL_LIMIT: '5', HOLD_MS: '300' });
    api = Number(stack.match[1]);
    metrics = Number(stack.match[2]);
  });
  afterAll(() => stack?.stop());

  it('junk that took the primary\'s slots slowly cannot keep a bursting attacker out, in any worker', async () => {
    for (let i = 0; i < 5; i++) await get(api, '/x', { Origin: `https://junk${i}.blinder.test` });
    await new Promise((r) => setTimeout(r, 400));
    let own = 0;
    const deadline = Date.now() + 5000;
    while (own === 0 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 40 }, () => get(api, '/x', { Origin: 'https://attacker.evil.test' })));
      own = sumSamples((await get(metrics, '/metrics')).body, 'cors_requests_total', { origin: 'https://attacker.evil.test' });
    }
    expect(own).toBeGreaterThan(0);
    const text = (await get(metrics, '/metrics')).body;
    expect(sumSamples(text, 'cors_origin_label_values')).toBeLessThanOrEqual(5);
  });
});
