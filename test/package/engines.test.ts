/**
 * Issue #30 item 7: `npm install` on Node 20 warns EBADENGINE for the packages the lock file holds whose
 * `engines.node` excludes the oldest Node the project supports. docs/node-versions.md lists them and says
 * why each is harmless; this keeps that list exact, so a new warning cannot slip in undocumented.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/processes';

// semver is what npm itself uses to judge `engines`; it is in node_modules through the test tools.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as { satisfies(version: string, range: string): boolean; minVersion(range: string): { version: string } | null };

const enginesOf = (dir: string): string => (JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

it('the packages npm warns about on the oldest Node both packages accept are exactly those docs/node-versions.md lists', () => {
  // The oldest Node both packages accept (the CLI's undici 7 needs 20.18.1).
  const oldest = ['packages/cors-sentinel', 'packages/cli'].map((dir) => semver.minVersion(enginesOf(dir))?.version as string).sort().pop() as string;
  expect(oldest).toMatch(/^20\./);
  const warned = new Set<string>();
  for (const [where, entry] of Object.entries(lock.packages)) {
    const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
    if (where === '' || range === undefined) continue;
    if (!semver.satisfies(oldest, range)) warned.add(where.replace(/^.*node_modules\//, ''));
  }
  const docs = readFileSync(path.join(ROOT, 'docs/node-versions.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## `EBADENGINE` warnings'));
  const listed = new Set([...section.matchAll(/^- (.+?) —/gms)].flatMap((m) => [...(m[1] as string).matchAll(/`([^`]+)`/g)].map((n) => n[1] as string)));
  expect([...warned].sort()).toEqual([...listed].sort());
});
