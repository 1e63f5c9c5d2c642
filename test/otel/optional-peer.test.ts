/**
 * `@opentelemetry/api` is an optional peer: the library loads, decides and counts without it, and a
 * MeterProvider needs nothing from it either (cors-sentinel uses the provider it is given).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SRC = join(__dirname, '../../packages/cors-sentinel/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('@opentelemetry/api is optional', () => {
  it('no library module imports it: one guarded require, for span attributes', () => {
    const users = sources(SRC).filter((f) => /(\bfrom|\bimport|\brequire)\s*\(?\s*'@opentelemetry\//.test(readFileSync(f, 'utf8')));
    expect(users.map((f) => f.slice(SRC.length + 1))).toEqual(['metrics/span-attributes.ts']);
    expect(readFileSync(join(SRC, 'metrics/span-attributes.ts'), 'utf8')).toMatch(/try \{\n.*\n\s*const api = require\('@opentelemetry\/api'\)/);
  });

  it('without it installed, a sentinel decides and counts through prom-client, and through a MeterProvider', async () => {
    await jest.isolateModulesAsync(async () => {
      // prom-client 15 itself requires @opentelemetry/api (its exemplars): loaded first, it keeps the real one.
      const { Registry: IsolatedRegistry } = require('prom-client') as typeof import('prom-client');
      jest.doMock('@opentelemetry/api', () => {
        throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
      });
      const { createSentinel } = require('../../packages/cors-sentinel/src/sentinel') as typeof import('../../packages/cors-sentinel/src/sentinel');
      const registry = new IsolatedRegistry();
      const s = createSentinel({ origins: ['https://a.example'], logger: false, metrics: { registry } });
      const handling = s.handle({ method: 'GET', path: '/', origin: 'https://a.example' });
      handling.complete(await handling.decision, 'applied');
      expect(await registry.metrics()).toContain('cors_requests_total{route="default",request_type="actual",outcome="allowed",origin="https://a.example"} 1');
      s.close();

      // A provider from another copy of the SDK (the app's): only its getMeter() is used. A collection
      // runs the observable callbacks first; the histogram's observations are recorded then.
      const recorded: string[] = [];
      const callbacks: Array<(result: { observe(): void }) => unknown> = [];
      const instrument = {
        addCallback: (callback: (typeof callbacks)[number]) => callbacks.push(callback),
        record: (v: number, a?: Record<string, string>) => recorded.push(`${v} ${JSON.stringify(a)}`),
      };
      const meter = { createHistogram: () => instrument, createObservableCounter: () => instrument, createObservableGauge: () => instrument };
      const viaProvider = createSentinel({ origins: ['https://a.example'], logger: false, metrics: { meterProvider: { getMeter: () => meter } } });
      const preflight = viaProvider.handle({ method: 'OPTIONS', path: '/', origin: 'https://a.example', accessControlRequestMethod: 'GET' });
      preflight.complete(await preflight.decision, 'applied');
      expect(recorded).toEqual([]);
      await Promise.all(callbacks.map((callback) => callback({ observe: () => undefined })));
      expect(recorded).toEqual([expect.stringMatching(/^[0-9.e-]+ \{"route":"default","outcome":"allowed"\}$/)]);
      viaProvider.close();
    });
  });
});
