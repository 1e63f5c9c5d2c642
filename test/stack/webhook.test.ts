/** The on-call webhook receiver logs one safe line per alert and keeps what it received. */
import type { AddressInfo } from 'node:net';
import { createWebhookServer } from '../../packages/cli/src/stack/webhook';

describe('on-call webhook receiver', () => {
  const lines: string[] = [];
  const { server, received } = createWebhookServer((l) => lines.push(l));
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('logs each alert of an Alertmanager notification, pages on /alerts', async () => {
    const payload = {
      receiver: 'oncall',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'CorsAllowedOriginNowRejected', severity: 'critical', job: 'api', origin: 'https://app.example.com\nFAKE LINE' }, annotations: { summary: 'An origin that was allowed is now rejected.' } },
      ],
    };
    const warning = { receiver: 'default', alerts: [{ status: 'resolved', labels: { alertname: 'CorsRejectedRatioHigh', severity: 'warning', job: 'api' }, annotations: { summary: 'High rejected ratio.' } }] };
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect((await post('/alerts', payload)).status).toBe(200);
    expect((await post('/default', warning)).status).toBe(200);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ PAGE FIRING \[critical\] CorsAllowedOriginNowRejected job=api origin=https:\/\/app\.example\.com FAKE LINE :: An origin/);
    expect(lines[1]).toMatch(/ notify RESOLVED \[warning\] CorsRejectedRatioHigh job=api/);
    expect(lines.join('')).not.toContain('\n');
    const listed = (await (await fetch(`${base}/received`)).json()) as unknown[];
    expect(listed).toHaveLength(2);
    expect(received).toHaveLength(2);
  });

  it('answers 400 to a body that is not JSON and 405 to other methods', async () => {
    expect((await fetch(`${base}/alerts`, { method: 'POST', body: 'nope' })).status).toBe(400);
    expect((await fetch(`${base}/alerts`, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});
