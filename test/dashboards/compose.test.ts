/**
 * docker-compose.yml without a Docker engine: Debian's docker-compose 1.29 validates it, every file
 * it mounts exists, and the commands it runs exist in this package's CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT, describeIfCommand } from '../support/processes';

interface Service {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  command?: string[];
  volumes?: string[];
  ports?: string[];
}
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };

describeIfCommand('docker-compose')('docker-compose.yml (docker-compose 1.29)', () => {
  it('passes docker-compose config -q', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COMPOSE_PROJECT_NAME: 'cors-sentinel' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('docker-compose.yml', () => {
  it('runs the whole topology', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'api', 'grafana', 'oncall-webhook', 'prober', 'prometheus', 'traffic']);
  });

  it('mounts only files that exist, read-only', () => {
    const mounts = Object.values(compose.services).flatMap((s) => s.volumes ?? []);
    const binds = mounts.filter((m) => m.startsWith('./'));
    expect(binds.length).toBeGreaterThanOrEqual(5);
    for (const m of binds) {
      const [source] = m.split(':');
      expect([m, existsSync(path.join(ROOT, source as string))]).toEqual([m, true]);
      expect(m.endsWith(':ro')).toBe(true);
    }
    const named = mounts.filter((m) => !m.startsWith('./') && !m.startsWith('/')).map((m) => m.split(':')[0]);
    for (const v of named) expect(Object.keys(compose.volumes ?? {})).toContain(v);
  });

  it('builds the demo image from this repository and runs existing CLI commands', () => {
    const cli = readFileSync(path.join(ROOT, 'packages', 'cli', 'src', 'cli.ts'), 'utf8');
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.image?.startsWith('cors-sentinel-demo') !== true) continue;
      expect([name, s.build]).toEqual([name, '.']);
      const [node, script, command] = s.command ?? [];
      expect([node, script]).toEqual(['node', 'packages/cli/dist/cjs/cli.js']);
      expect(cli).toMatch(new RegExp(`\\n  ${command}: \\{`));
    }
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/FROM node:20/);
  });

  it('avoids keys docker-compose 1.29 rejects', () => {
    const text = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(text).not.toMatch(/^name:/m);
    expect(text).not.toMatch(/^\s+start_interval:/m);
  });

  it('wires the services the way the mounted configs expect', () => {
    const prom = readFileSync(path.join(ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8');
    expect(prom).toContain('api:3000');
    expect(prom).toContain('alertmanager:9093');
    expect(readFileSync(path.join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')).toContain('http://oncall-webhook:9099/alerts');
    expect(readFileSync(path.join(ROOT, 'deploy', 'grafana', 'provisioning', 'datasources', 'cors-sentinel.yml'), 'utf8')).toContain('http://prometheus:9090');
  });
});
