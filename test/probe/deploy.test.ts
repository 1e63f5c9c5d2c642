/**
 * The prober's deliverables around the code: the compose prober's config matches the scrape job,
 * the example scrape config is valid Prometheus, and the probe alerts have runbook sections and
 * promtool tests that fail when the rules lose their `for:`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DEFAULT_MIXIN_CONFIG } from '../../src/mixin/config';
import { DEFAULT_PROBE_ALERTS, PROBE_ALERT_NAMES, PROBE_ALERTS_FILE, probeAlertGroups } from '../../src/mixin/probe-alerts';
import { loadExporterConfig } from '../../src/probe/config';
import { COMPOSE_PROBE_JOB } from '../../src/probe/scrape-config';
import { describeWithTools, run } from '../mixin/tools';
import { ROOT } from '../support/processes';

describe('prober deployment files', () => {
  it('lists the same targets in deploy/probe/probe.yml as the cors-probe scrape job, for its module', () => {
    const config = loadExporterConfig(join(ROOT, 'deploy', 'probe', 'probe.yml'));
    expect(config.targets.map((t) => t.url).sort()).toEqual([...COMPOSE_PROBE_JOB.targets].sort());
    for (const t of config.targets) expect(t.modules).toContain(COMPOSE_PROBE_JOB.module);
  });

  it('gives every probe alert a runbook section', () => {
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    for (const name of PROBE_ALERT_NAMES) expect(runbook).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });
});

describeWithTools('promtool')('prober rules and scrape config (promtool)', () => {
  jest.setTimeout(60_000);

  it('accepts the example scrape config and the probe alert rules', () => {
    const scrape = run('promtool', ['check', 'config', join(ROOT, 'deploy', 'prometheus', 'probe-scrape.example.yml')]);
    expect(scrape.status).toBe(0);
    const rules = run('promtool', ['check', 'rules', join(ROOT, 'alerts', PROBE_ALERTS_FILE)]);
    expect(rules.output).toContain(`SUCCESS: ${PROBE_ALERT_NAMES.length} rules found`);
  });

  it('fails alerts/tests/probe.yml when the alerts fire without waiting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-probe-rules-'));
    try {
      const hasty = { ...DEFAULT_PROBE_ALERTS, for: { CorsProbeCredentialedOriginReflection: '0s', CorsProbeFinding: '0s', CorsProbeFailing: '0s' } };
      writeFileSync(join(dir, PROBE_ALERTS_FILE), stringify({ groups: probeAlertGroups(DEFAULT_MIXIN_CONFIG, hasty) }));
      mkdirSync(join(dir, 'tests'));
      cpSync(join(ROOT, 'alerts', 'tests', 'probe.yml'), join(dir, 'tests', 'probe.yml'));
      const r = run('promtool', ['test', 'rules', 'probe.yml'], join(dir, 'tests'));
      expect(r.status).not.toBe(0);
      for (const name of ['CorsProbeFinding', 'CorsProbeFailing']) expect(r.output).toContain(`alertname: ${name},`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
