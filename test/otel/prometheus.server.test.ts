/**
 * End to end through OpenTelemetry: a sentinel with `metrics: { meterProvider }` (a real SDK
 * MeterProvider), its series served by the OTel Prometheus exporter, scraped by a real Prometheus
 * (1 s scrape and evaluation) loaded with the generated rules. Normal traffic fires nothing and every
 * rule evaluates cleanly on the OTel series, every dashboard panel query is accepted (and those reading
 * only exported series return data); a deploy that drops the real frontend fires the critical
 * CorsAllowedOriginNowRejected, exactly as on the prom-client path (test/mixin/e2e.test.ts).
 * No OpenTelemetry Collector binary can be had here, so the OTLP → collector leg is not exercised.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type RequestListener, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corsSentinelHandler } from '../../packages/cors-sentinel/src/adapters/node';
import type { CorsSentinelOptions } from '../../packages/cors-sentinel/src/policy/options';
import { ALERT_NAMES, resolveMixinConfig } from '../../packages/cli/src/mixin/config';
import { prometheusConfig } from '../../packages/cli/src/mixin/deploy';
import { toYaml } from '../../packages/cli/src/mixin/generate';
import { browserTraffic, closeServer, listen, promQuery, sleep, startPrometheus, stopAll, waitFor, writeRuleFiles } from '../mixin/processes';
import { describeWithTools, freePort } from '../mixin/tools';
import { loadDashboards, metricNames, panelQueries, rawSelectors, substitute } from '../dashboards/support';
import { otelPipeline, seriesOf, type OtelPipeline } from './pipeline';

const FRONTEND = 'https://app.example.com';
const POLICY_BEFORE: CorsSentinelOptions = { origins: [FRONTEND, 'https://admin.example.com'], maxAge: 600, logger: false };
const POLICY_AFTER: CorsSentinelOptions = { origins: ['https://admin.example.com'], maxAge: 600, logger: false };

/** An app process: its sentinel records into its own MeterProvider, whose exporter answers /metrics. */
function app(policy: CorsSentinelOptions): { handler: RequestListener; otel: OtelPipeline; close(): void } {
  const otel = otelPipeline();
  const cors = corsSentinelHandler({ ...policy, metrics: { meterProvider: otel.provider } }, (req, res) => {
    if (req.url === '/metrics') return otel.handler(req, res);
    res.end('ok');
  });
  return { handler: cors, otel, close: () => { cors.close(); void otel.shutdown(); } };
}

describeWithTools('prometheus')('OTel exporter → Prometheus → generated alert', () => {
  jest.setTimeout(90_000);
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const agent = new Agent({ keepAlive: true });
  let dir: string;
  let api: string;
  let prom: string;
  let current: ReturnType<typeof app>;
  let stopTraffic: (() => void) | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'api-e2e-'));
    const [apiPort, promPort] = await Promise.all([freePort(), freePort()]);
    api = `http://127.0.0.1:${apiPort}`;
    prom = `http://127.0.0.1:${promPort}`;
    const config = resolveMixinConfig({
      selector: 'job="api"',
      windows: { rate: '10s', event: '15s', baselineInterval: '1s', rollout: '3s', lowTraffic: '30s' },
      for: { ...Object.fromEntries(ALERT_NAMES.map((n) => [n, '1s'])), CorsAllowedOriginNowRejected: '2s', CorsExporterAbsent: '2m' },
    });
    const ruleFiles = writeRuleFiles(dir, config);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml(prometheusConfig({ targets: [`127.0.0.1:${apiPort}`], alertmanagers: [], ruleFiles, jobName: 'api', scrapeInterval: '1s', evaluationInterval: '1s' }), 'otel e2e'),
    );
    current = app(POLICY_BEFORE);
    servers.push(await listen(apiPort, (req, res) => current.handler(req, res)));
    children.push(startPrometheus(dir, promPort));
    stopTraffic = browserTraffic(api, FRONTEND, agent);
  });

  afterAll(async () => {
    stopTraffic?.();
    await stopAll(children);
    agent.destroy();
    await Promise.all(servers.map(closeServer));
    current.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (expr: string) => promQuery(prom, expr);

  /**
   * Every generated dashboard's panel query, as Grafana sends it, is accepted by Prometheus on the OTel
   * series; one that reads only raw series this app exports (no offset: no history here) returns data.
   */
  async function dashboardQueriesWork(): Promise<void> {
    const exported = new Set([...seriesOf(await current.otel.scrape()).keys()].map((id) => id.slice(0, id.indexOf('{')).replace(/_(bucket|sum|count)$/, '')));
    const values = { job: 'api', instance: '.*', route: '.*', rateInterval: '10s' };
    const queries = panelQueries(loadDashboards());
    const withData: string[] = [];
    for (const pq of queries) {
      const expr = substitute(pq.target.expr, values);
      const res = (await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { status: string; error?: string; data?: { result: unknown[] } };
      expect({ query: expr, status: res.status, error: res.error }).toEqual({ query: expr, status: 'success', error: undefined });
      const raw = metricNames(expr, 'cors_').map((m) => m.replace(/_(bucket|sum|count)$/, ''));
      // Offsets need history this Prometheus does not have, recorded series are the rules' (checked
      // above), and an exact label value (origin="__other__") may be one this traffic never produces.
      const selectsAll = rawSelectors(expr, 'cors_').every(({ matchers }) => !/\b(?!job=)\w+(=|!=|!~)"/.test(matchers));
      const readsOnlyExported = raw.length > 0 && raw.every((m) => exported.has(m)) && selectsAll && !/\b[a-z_]+:[a-z_:0-9]+/.test(expr) && !/\soffset\s/.test(expr);
      if (!readsOnlyExported) continue;
      expect({ query: expr, data: (res.data?.result.length ?? 0) > 0 }).toEqual({ query: expr, data: true });
      withData.push(expr);
    }
    expect(withData.length).toBeGreaterThan(20); // 25 of the 70 panel queries on 2026-12-06
  }

  it('evaluates every rule on the OTel series, quiet on normal traffic, and fires when a deploy drops the frontend', async () => {
    const allowed = `job_origin_outcome:cors_requests:rate10s{job="api", origin="${FRONTEND}", outcome="allowed"}`;
    await waitFor(async () => (await query(`${allowed} > 5`)).length === 1, 45_000, 'the recorded per-origin rate of normal traffic');
    await sleep(5_000);
    const rules = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state?: string }> }> } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(all.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
    // The posture gauge and the preflight histogram arrive as the contract names them.
    expect((await query('cors_config_info{job="api"}')).length).toBe(1);
    expect((await query('cors_preflight_duration_seconds_bucket{job="api", le="+Inf"}')).length).toBeGreaterThan(0);

    await dashboardQueriesWork();

    // The deploy: a new process, a new MeterProvider, counters from zero.
    const before = current;
    current = app(POLICY_AFTER);
    before.close();
    const firing = await waitFor(async () => {
      const alerts = await query('ALERTS{alertname="CorsAllowedOriginNowRejected", alertstate="firing"}');
      return alerts.length > 0 ? alerts : undefined;
    }, 45_000, 'CorsAllowedOriginNowRejected firing');
    expect(firing[0]?.metric).toMatchObject({ severity: 'critical', job: 'api', origin: FRONTEND });
  });
});
