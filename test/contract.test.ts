/** The contract module matches what is registered and what docs/metrics.md documents. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ENFORCE_FINDINGS, FINDINGS, METRIC_NAMES, PROXY_FINDINGS, REASONS, SHADOW_CHANGES } from '../packages/cors-sentinel/src/contract';
import { createCorsMetrics } from '../packages/cors-sentinel/src/metrics/metrics';

const DOC = readFileSync(join(__dirname, '../docs/metrics.md'), 'utf8');

describe('contract', () => {
  it('names exactly the metrics that are registered', async () => {
    const registry = new Registry();
    createCorsMetrics({ registry });
    const registered = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(registered).toEqual(Object.values(METRIC_NAMES).map((n) => `cors_${n}`).sort());
  });

  it.each([
    ...Object.values(METRIC_NAMES).map((n) => `cors_${n}`), ...REASONS, ...FINDINGS, ...ENFORCE_FINDINGS, ...PROXY_FINDINGS, ...SHADOW_CHANGES,
  ])('docs/metrics.md documents %s', (name) => {
    expect(DOC).toContain(name);
  });
});
