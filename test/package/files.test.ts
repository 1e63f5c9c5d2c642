/**
 * What `npm pack` ships, for each of the two packages: only what a user needs (allow-lists in pack.ts),
 * no shipped module that needs a package the tarball does not declare, and, for the library, types that
 * resolve right from CommonJS, ESM and bundlers (arethetypeswrong).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/processes';
import { fileListProblems, pack, PACKAGES, typesProblems, type PackageName, type Packed } from './pack';

interface Manifest {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** `some-pkg` or `@scope/pkg` of a bare specifier. */
const packageName = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

describe.each(Object.keys(PACKAGES) as PackageName[])('the published package %s', (name) => {
  const dir = path.join(ROOT, PACKAGES[name].dir);
  let destination: string;
  let packed: Packed;
  beforeAll(() => {
    destination = mkdtempSync(path.join(tmpdir(), 'cors-sentinel-pack-'));
    packed = pack(name, destination);
  });
  afterAll(() => rmSync(destination, { recursive: true, force: true }));

  it('lists only what a user needs, and everything the package needs', () => {
    expect(fileListProblems(name, packed.files)).toEqual({ unexpected: [], missing: [] });
    for (const devOnly of ['dist/.tsbuildinfo', 'docker-compose.yml', 'Dockerfile', 'deploy/alertmanager/alertmanager.yml', 'tsconfig.json']) expect(packed.files).not.toContain(devOnly);
    expect(packed.files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('ships no module that requires a package it does not declare', () => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    const allowed = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    // Vendored bundles (dist/cjs/vendor/) load no module at all: public-suffix.test.ts checks that, and
    // their comments would read as imports here ("different from '-'").
    const modules = packed.files.filter((f) => (f.endsWith('.js') || f.endsWith('.mjs')) && !f.startsWith('dist/cjs/vendor/'));
    for (const file of modules) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      for (const [, specifier] of source.matchAll(/(?:require\(|import\(|from\s+)["']([^"'./][^"']*)["']/g)) {
        const imported = packageName(specifier as string);
        if (!allowed.has(imported) && !builtins.has(imported) && !imported.startsWith('node:')) offenders.push(`${file}: ${specifier as string}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  if (name === 'cors-sentinel') {
    it('has types that arethetypeswrong finds no problem with (CJS, ESM, bundlers)', () => {
      const result = typesProblems(packed.tarball);
      expect({ problems: result.problems, status: result.status }).toEqual({ problems: {}, status: 0 });
    });
  }
});
