/** The built package as users load it: `require` and `import` give the same single instance. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REASONS } from '../../packages/cors-sentinel/src/engine/decision';
import { ROOT } from '../support/processes';

const run = (args: string[]): string => execFileSync('node', args, { cwd: ROOT, encoding: 'utf8' });

describe('package entry points', () => {
  beforeAll(() => {
    if (!existsSync(path.join(ROOT, 'packages/cors-sentinel/dist/cjs/index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  });

  it('loads with require()', () => {
    const out = run(['-e', "const m = require('cors-sentinel'); console.log(typeof m.corsSentinel, typeof m.CorsConfigError, m.REASONS.length)"]);
    expect(out.trim()).toBe(`function function ${REASONS.length}`); // the built package's reasons are the source's
  });

  it('loads with import, by name, and shares the CommonJS instance', () => {
    const script = [
      "import { corsSentinel, CorsConfigError } from 'cors-sentinel';",
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "const cjs = require('cors-sentinel');",
      "const mw = corsSentinel({ origins: ['https://a.example.com'], logger: false });",
      "console.log(typeof mw, corsSentinel === cjs.corsSentinel, CorsConfigError === cjs.CorsConfigError);",
    ].join('\n');
    expect(run(['--input-type=module', '-e', script]).trim()).toBe('function true true');
  });

  it('keeps the root export narrow: the adapters, createSentinel, loadPolicyFile, explain, the error, the contract, stores and cluster metrics', () => {
    const names = run(['-e', "console.log(Object.keys(require('cors-sentinel')).filter((n) => n !== '__esModule').sort().join(' '))"]).trim().split(' ');
    expect(names).toEqual([
      'CorsConfigError', 'ENFORCE_FINDINGS', 'FINDINGS', 'INVALID_ORIGIN_LABEL', 'METRIC_NAMES', 'MemoryOriginStore', 'OTHER_ORIGIN_LABEL',
      'PROTECTION_DECISIONS', 'PostgresOriginStore', 'REASONS', 'RedisOriginStore', 'SHADOW_CHANGES', 'SITES', 'clusterMetrics',
      'corsObserver', 'corsSentinel', 'corsSentinelHandler', 'createSentinel', 'crossOriginProtection', 'explain', 'explainSync',
      'loadPolicyFile', 'postgresSchema',
    ]);
  });

  it.each([
    ['cors-sentinel/fastify', 'fastifyCorsSentinel'],
    ['cors-sentinel/koa', 'koaCorsSentinel'],
    ['cors-sentinel/adapter-kit', 'createPort'],
    ['cors-sentinel/metrics', 'createCorsMetrics'],
  ])('%s loads with require() and import, one instance', (subpath, name) => {
    const script = [
      `import { ${name} } from '${subpath}';`,
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      `console.log(typeof ${name}, ${name} === require('${subpath}').${name});`,
    ].join('\n');
    expect(run(['--input-type=module', '-e', script]).trim()).toBe('function true');
  });

  it('ships type declarations', () => {
    expect(existsSync(path.join(ROOT, 'packages/cors-sentinel/dist/cjs/index.d.ts'))).toBe(true);
  });
});
