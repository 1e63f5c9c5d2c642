/**
 * What `npm pack` ships: only what a user needs (allow-list in pack.ts), no shipped module that needs
 * a devDependency, and types that resolve right from CommonJS, ESM and bundlers (arethetypeswrong).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/processes';
import { fileListProblems, pack, typesProblems, type Packed } from './pack';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** `some-pkg` or `@scope/pkg` of a bare specifier. */
const packageName = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe('the published package', () => {
  let dir: string;
  let packed: Packed;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cors-sentinel-pack-'));
    packed = pack(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists only what a user needs, and everything the package needs', () => {
    expect(fileListProblems(packed.files)).toEqual({ unexpected: [], missing: [] });
    for (const devOnly of ['dist/.tsbuildinfo', 'docker-compose.yml', 'Dockerfile', 'deploy/alertmanager/alertmanager.yml']) expect(packed.files).not.toContain(devOnly);
    expect(packed.files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('ships no module that requires a devDependency', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const file of packed.files.filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))) {
      const source = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, specifier] of source.matchAll(/(?:require\(|import\(|from\s+)["']([^"'./][^"']*)["']/g)) {
        const name = packageName(specifier as string);
        if (!allowed.has(name) && !builtins.has(name) && !name.startsWith('node:')) offenders.push(`${file}: ${specifier as string}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has types that arethetypeswrong finds no problem with (CJS, ESM, bundlers)', () => {
    const result = typesProblems(packed.tarball);
    expect({ problems: result.problems, status: result.status }).toEqual({ problems: {}, status: 0 });
  });
});
