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
});
