/** The native runner's configs are the compose files with hostnames and container paths rewritten. */
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { composeMounts, DEFAULT_PORTS, prepareConfigs, rewriteHosts } from '../../packages/cli/src/stack/topology';
import { ROOT } from '../support/processes';

const ports = { api: 41000, prometheus: 41001, alertmanager: 41002, 'oncall-webhook': 41003, grafana: 41004, prober: 41005 };

describe('native stack configuration', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'cors-topology-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites service:port only for the stack services and their compose ports', () => {
    expect(rewriteHosts('http://oncall-webhook:9099/alerts api:3000 grafana:3000 myapi:3000 api:8080', ports)).toBe(
      'http://127.0.0.1:41003/alerts 127.0.0.1:41000 127.0.0.1:41004 myapi:3000 api:8080',
    );
  });

  it('reads the mounts from docker-compose.yml', () => {
    const mounts = composeMounts(ROOT);
    expect(mounts.prometheus).toContainEqual({ host: path.join(ROOT, 'alerts'), container: '/etc/prometheus/rules' });
  });

  it('produces configs that point at loopback and at the repository files', () => {
    const c = prepareConfigs(ROOT, dir, ports, { scrapeInterval: '1s' });
    const prom = parse(readFileSync(c.prometheusConfig, 'utf8')) as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    };
    expect(prom.global).toMatchObject({ scrape_interval: '1s', evaluation_interval: '1s' });
    expect(prom.scrape_configs[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:41000']);
    expect(prom.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:41002']);
    // Copies of the repository's rules, without the baseline group's own 5-minute interval.
    expect(prom.rule_files).toEqual([path.join(dir, 'prometheus', 'rules', '*.yml')]);
    const committed = readFileSync(path.join(ROOT, 'alerts', 'cors-sentinel-rules.yml'), 'utf8');
    const copy = readFileSync(path.join(dir, 'prometheus', 'rules', 'cors-sentinel-rules.yml'), 'utf8');
    expect(committed).toMatch(/^\s+interval: 5m$/m);
    expect(copy).not.toMatch(/interval:/);
    expect((parse(copy) as { groups: unknown[] }).groups).toHaveLength((parse(committed) as { groups: unknown[] }).groups.length);
    const am = readFileSync(c.alertmanagerConfig, 'utf8');
    expect(am).toContain('http://127.0.0.1:41003/alerts');
    expect(am).not.toContain('oncall-webhook:');
    const provisioning = readdirSync(path.join(c.grafanaProvisioning, 'datasources')).map((f) => readFileSync(path.join(c.grafanaProvisioning, 'datasources', f), 'utf8')).join('');
    expect(provisioning).toContain('http://127.0.0.1:41001');
    const provider = readFileSync(path.join(c.grafanaProvisioning, 'dashboards', 'cors-sentinel.yml'), 'utf8');
    expect(provider).toContain(path.join(ROOT, 'dashboards'));
    expect(existsSync(c.grafanaHomeDashboard)).toBe(true);
  });

  it('publishes the same host ports in compose as the native defaults', () => {
    const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const [service, port] of Object.entries(DEFAULT_PORTS)) expect([service, compose.includes(`"${port}:`)]).toEqual([service, true]);
  });
});
