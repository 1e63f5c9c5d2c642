/**
 * The prober does not page the API it probes (issue 24 item 9), end to end: the built CLI's
 * `probe --key-file` against the demo API with `probeKey`, scraped by a real Prometheus evaluating the
 * generated rules (windows and `for:` scaled to seconds, as in test/mixin/e2e.test.ts). Signed probes
 * leave every alert silent; the same probe signed with another key is a scan: CorsOriginProbing and
 * CorsProbeSignatureInvalid fire.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoApp } from '../../packages/cli/src/demo/app';
import { ALERT_NAMES, resolveMixinConfig } from '../../packages/cli/src/mixin/config';
import { prometheusConfig } from '../../packages/cli/src/mixin/deploy';
import { toYaml } from '../../packages/cli/src/mixin/generate';
import { browserTraffic, closeServer, listen, promQuery, sleep, startPrometheus, stopAll, waitFor, writeRuleFiles } from '../mixin/processes';
import { describeWithTools, freePort } from '../mixin/tools';
import { runCli } from './run-cli';

const FRONTEND = 'https://app.example.com';
const KEY = 'a1'.repeat(32);

interface RuleState { name: string; state?: string; health: string; lastError?: string }

describeWithTools('prometheus')('signed probes end to end (prober → middleware → Prometheus rules)', () => {
  jest.setTimeout(120_000);
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const agent = new Agent({ keepAlive: true });
  let dir: string;
  let api: string;
  let prom: string;
  let stopTraffic: (() => void) | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cors-signed-probes-'));
    writeFileSync(join(dir, 'probe.key'), `${KEY}\n`);
    writeFileSync(join(dir, 'wrong.key'), `${'b2'.repeat(32)}\n`);
    const [apiPort, promPort] = await Promise.all([freePort(), freePort()]);
    api = `http://127.0.0.1:${apiPort}`;
    prom = `http://127.0.0.1:${promPort}`;
    const config = resolveMixinConfig({
      selector: 'job="cors-probed"',
      windows: { rate: '10s', event: '15s', baselineInterval: '1s', rollout: '3s', lowTraffic: '30s' },
      for: { ...Object.fromEntries(ALERT_NAMES.map((n) => [n, '1s'])), CorsExporterAbsent: '2m' },
    });
    const ruleFiles = writeRuleFiles(dir, config);
    writeFileSync(
      join(dir, 'prometheus.yml'),
      toYaml(prometheusConfig({ targets: [`127.0.0.1:${apiPort}`], alertmanagers: [], ruleFiles, jobName: 'cors-probed', scrapeInterval: '1s', evaluationInterval: '1s' }), 'signed probes'),
    );
    // The target: the middleware holding the prober's key (the same file's text, as probeKey).
    const { app } = createDemoApp({ policy: { origins: [FRONTEND], maxAge: 600, probeKey: KEY }, logger: false });
    servers.push(await listen(apiPort, app));
    children.push(startPrometheus(dir, promPort));
    stopTraffic = browserTraffic(api, FRONTEND, agent);
  });

  afterAll(async () => {
    stopTraffic?.();
    await stopAll(children);
    agent.destroy();
    await Promise.all(servers.map(closeServer));
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (expr: string) => promQuery(prom, expr);
  const rules = async (): Promise<RuleState[]> => {
    const body = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: RuleState[] }> } };
    return body.data.groups.flatMap((g) => g.rules);
  };
  const probe = async (keyFile: string) => {
    const r = await runCli(['probe', `${api}/api/products`, '--key-file', join(dir, keyFile), '--json', '--fail-on', 'none']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { requestsSent: number };
  };

  it('signed probes raise nothing; the same probe with a wrong key is a scan', async () => {
    await waitFor(async () => (await query(`cors_requests_total{job="cors-probed", origin="${FRONTEND}"} > 10`)).length > 0, 30_000, 'the frontend traffic in Prometheus');

    // Three scheduled probes with the right key.
    for (let i = 0; i < 3; i++) {
      expect((await probe('probe.key')).requestsSent).toBeGreaterThan(30);
      await sleep(2_000);
    }
    await waitFor(async () => (await query('sum(cors_verified_probe_requests_total{job="cors-probed"}) > 90')).length > 0, 15_000, 'the verified probes in Prometheus');
    await sleep(5_000); // several evaluations with every `for:` at 1 s
    const all = await rules();
    expect(all.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(all.filter((r) => r.state === 'firing' || r.state === 'pending').map((r) => r.name)).toEqual([]);
    // The browser traffic's one stranger is the only rejected origin the target saw.
    expect((await query('max(cors_distinct_rejected_origins{job="cors-probed"})')).map((r) => r.value[1])).toEqual(['1']);

    // The prober's key is wrong (or a scanner copies the header): counted as what it is.
    await probe('wrong.key');
    const firing = await waitFor(async () => {
      const names = new Set((await rules()).filter((r) => r.state === 'firing').map((r) => r.name));
      return names.has('CorsOriginProbing') && names.has('CorsProbeSignatureInvalid') ? names : undefined;
    }, 30_000, 'CorsOriginProbing and CorsProbeSignatureInvalid firing');
    expect([...firing]).toEqual(expect.arrayContaining(['CorsOriginProbing', 'CorsProbeSignatureInvalid']));
    const failures = await query('sum by (reason) (cors_probe_signature_failures_total{job="cors-probed"}) > 0');
    expect(failures.map((f) => f.metric.reason)).toEqual(['mismatch']);
  });
});
