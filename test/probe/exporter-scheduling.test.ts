/**
 * The /probe exporter under scrapes of a deliberately slow target, over real sockets: abandoned
 * scrapes must not keep their probes (and slots) alive, concurrent scrapes of one target and module
 * share one probe, and one target cannot hold every slot while healthy targets get 429.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseExporterConfig } from '../../packages/cli/src/probe/config';
import { startExporter, type ProbeExporter } from '../../packages/cli/src/probe/exporter';
import { sumSamples } from '../support/metrics-text';
import { waitFor } from '../support/wait';

interface Target {
  readonly url: string;
  /** Requests received, and how many of them the prober has since abandoned (closed its socket). */
  received(): number;
  abandoned(): number;
  close(): Promise<void>;
}

/** A target that answers after `delayMs` (Infinity: never, until the prober gives up). */
async function target(delayMs: number): Promise<Target> {
  let received = 0;
  let abandoned = 0;
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    received++;
    res.once('close', () => !res.writableFinished && abandoned++);
    if (Number.isFinite(delayMs)) setTimeout(() => res.end('ok'), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    received: () => received,
    abandoned: () => abandoned,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

interface Scrape {
  readonly done: Promise<{ status: number; body: string }>;
  /** The scraper gives up (Prometheus' scrape timeout): its connection closes. */
  abandon(): void;
}

function scrape(exporter: ProbeExporter, targetUrl: string, module = 'web'): Scrape {
  let req!: http.ClientRequest;
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = http.get(`${exporter.url}/probe?${new URLSearchParams({ target: targetUrl, module })}`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  return { done, abandon: () => req.destroy() };
}

const MODULE = { siteOrigin: 'https://app.example.com', timeout: '60s', deadline: '120s', budget: 4, concurrency: 1 };

describe('/probe exporter scheduling against a slow target', () => {
  let slow: Target;
  let healthy: Target;
  let exporter: ProbeExporter;
  const own = async (name: string): Promise<number> => sumSamples(await (await fetch(`${exporter.url}/metrics`)).text(), name);

  beforeEach(async () => {
    slow = await target(Infinity);
    healthy = await target(0);
    const config = parseExporterConfig({ maxConcurrentProbes: 4, modules: { web: MODULE, api: MODULE, admin: MODULE }, targets: [slow.url, healthy.url] });
    exporter = await startExporter(config, '127.0.0.1', 0);
  });
  afterEach(async () => {
    await exporter.close();
    await slow.close();
    await healthy.close();
  });

  it('four abandoned scrapes of a slow target share one probe, which is cancelled when they leave; a healthy target is then probed', async () => {
    const scrapes = [0, 1, 2, 3].map(() => scrape(exporter, slow.url));
    for (const s of scrapes) s.done.catch(() => undefined);
    await waitFor(() => slow.received() >= 1, 'the probe to reach the slow target');
    await waitFor(async () => (await own('cors_probe_exporter_coalesced_total')) === 3, 'the other three scrapes to join it');
    for (const s of scrapes) s.abandon();
    // The probe's request to the target is aborted, and the probe sends nothing more.
    await waitFor(() => slow.abandoned() === 1, 'the prober to abandon its request to the slow target');
    expect(await own('cors_probe_exporter_cancelled_total')).toBe(1);
    expect(slow.received()).toBe(1);

    const ok = await scrape(exporter, healthy.url).done;
    expect(ok.status).toBe(200);
    expect(sumSamples(ok.body, 'cors_probe_success')).toBe(1);
  });

  it('concurrent scrapes of one target and module get one probe\'s answer; the target sees one probe\'s requests', async () => {
    const paced = await target(300);
    const config = parseExporterConfig({ modules: { web: MODULE }, targets: [paced.url] });
    const own2 = await startExporter(config, '127.0.0.1', 0);
    try {
      const answers = await Promise.all([0, 1, 2].map(() => scrape(own2, paced.url).done));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
      expect(paced.received()).toBe(MODULE.budget);
    } finally {
      await own2.close();
      await paced.close();
    }
  });

  it('one slow target holds at most maxConcurrentProbesPerTarget (default 2) slots: a third module gets 429, other targets are served', async () => {
    const held = [scrape(exporter, slow.url, 'web'), scrape(exporter, slow.url, 'api')];
    for (const s of held) s.done.catch(() => undefined);
    await waitFor(() => slow.received() === 2, 'two probes to reach the slow target');
    const third = await scrape(exporter, slow.url, 'admin').done;
    expect(third.status).toBe(429);
    expect(third.body).toMatch(/maxConcurrentProbesPerTarget 2/);
    const ok = await scrape(exporter, healthy.url, 'admin').done;
    expect(ok.status).toBe(200);
    for (const s of held) s.abandon();
    await waitFor(() => slow.abandoned() === 2, 'both slow probes to be cancelled');
  });

  it('refuses a per-target cap above the global one', () => {
    expect(() => parseExporterConfig({ maxConcurrentProbes: 2, maxConcurrentProbesPerTarget: 3, modules: { web: {} }, targets: [healthy.url] })).toThrow(/maxConcurrentProbesPerTarget: must be an integer from 1 to maxConcurrentProbes/);
  });
});
