/**
 * The prober's deliverables around the code: the compose prober's config matches the scrape job,
 * the example scrape config is valid Prometheus, and the probe alerts have runbook sections. The
 * probe alerts are a mixin alert module (src/mixin/alerts/probe.ts): their promtool scenarios and the
 * tests that those can fail live with the mixin's (test/mixin).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeAlerts } from '../../packages/cli/src/mixin/alerts/probe';
import { loadExporterConfig } from '../../packages/cli/src/probe/config';
import { COMPOSE_PROBE_JOB } from '../../packages/cli/src/probe/scrape-config';
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
    for (const { name } of probeAlerts.alerts) expect(runbook).toMatch(new RegExp(`^## ${name}$`, 'm'));
  });
});

describeWithTools('promtool')('prober rules and scrape config (promtool)', () => {
  jest.setTimeout(60_000);

  it('accepts the example scrape config', () => {
    const scrape = run('promtool', ['check', 'config', join(ROOT, 'deploy', 'prometheus', 'probe-scrape.example.yml')]);
    expect(scrape.status).toBe(0);
  });
});
