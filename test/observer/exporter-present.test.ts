/**
 * The recommended first phase, "observe first", on a real Prometheus: an Express app whose CORS is
 * done by the `cors` package, with only `corsObserver()` in front, scraped as the mixin's default job.
 * Every alert's `absent(...)` must be empty and every dashboard variable must have values; before the
 * observer published `cors_config_info`, `CorsExporterAbsent` fired and the dashboards were blank.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cors from 'cors';
import express from 'express';
import { Registry } from 'prom-client';
import { DEFAULT_MIXIN_CONFIG } from '../../packages/cli/src/mixin/config';
import { corsObserver } from '../../packages/cors-sentinel/src/adapters/express-observer';
import { freePort } from '../../packages/cli/src/stack/run';
import { exporterConditions, substituteVariables } from '../support/exporter-conditions';
import { ROOT, describeIfCommand } from '../support/processes';
import { listen, send, type Running } from '../support/exchange';

const ORIGIN = 'https://app.example.com';
const JOB = DEFAULT_MIXIN_CONFIG.selector.match(/job="([^"]+)"/)?.[1] ?? 'api';

interface Sample {
  metric: Record<string, string>;
}

describeIfCommand('prometheus')('an observe-only app satisfies every "is there an exporter" condition', () => {
  jest.setTimeout(60_000);
  let app: Running;
  let prometheus: ChildProcess;
  let base: string;
  let dir: string;

  async function query(expr: string): Promise<Sample[]> {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? body.status}`);
    return body.data?.result ?? [];
  }

  beforeAll(async () => {
    const observer = corsObserver({ expectedOrigins: [ORIGIN], metrics: { registry: new Registry() }, logger: false });
    const web = express();
    web.get('/metrics', observer.metricsHandler());
    web.use(observer);
    web.use(cors({ origin: [ORIGIN] }));
    web.get('/api/items', (_req, res) => void res.json([]));
    app = await listen(web as unknown as RequestListener);
    // A little browser traffic, so that the variables keyed on request counters have values too.
    await send(app.port, { path: '/api/items', headers: { Origin: ORIGIN } });
    await send(app.port, { method: 'OPTIONS', path: '/api/items', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PUT' } });

    dir = mkdtempSync(join(tmpdir(), 'cors-exporter-present-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      `  - job_name: ${JOB}`,
      `    static_configs: [{ targets: ["127.0.0.1:${app.port}"] }]`,
      '',
    ].join('\n'));
    prometheus = spawn('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { stdio: 'ignore' });
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      try {
        if ((await query('cors_requests_total')).length > 0) return;
      } catch {
        // not listening yet
      }
    }
    throw new Error('Prometheus scraped no cors-sentinel series within 45 s');
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGKILL');
      await new Promise((r) => prometheus.once('exit', r));
    }
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Labels a deployment adds by relabelling (a plain static scrape has none): their variables may be empty here.
  const DEPLOYMENT_LABELS = new Set(['cluster', 'namespace', 'pod']);
  const conditions = exporterConditions(ROOT).filter((c) => c.label === undefined || !DEPLOYMENT_LABELS.has(c.label));

  it('finds the conditions in the shipped alerts and dashboards', () => {
    expect(conditions.some((c) => c.source.startsWith('alert '))).toBe(true);
    expect(conditions.some((c) => c.label === 'job')).toBe(true);
  });

  it.each(conditions.map((c) => [c.source, c] as const))('%s', async (_source, condition) => {
    const selector = substituteVariables(condition.selector, JOB);
    const samples = await query(selector);
    expect({ selector, found: samples.length > 0 }).toEqual({ selector, found: true });
    if (condition.label !== undefined) expect(samples.some((s) => s.metric[condition.label as string] !== undefined)).toBe(true);
    if (condition.source.startsWith('alert ')) expect(await query(`absent(${selector})`)).toEqual([]);
  });
});
