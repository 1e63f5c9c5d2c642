/**
 * Maintainers: regenerate the committed dashboards and Grafana provisioning files, or check them.
 *   node packages/cli/dist/cjs/mixin/dashboards/cli.js [--check] [--root DIR]
 * Not a user-facing `cors-sentinel` command (users run `cors-sentinel mixin`, whose Grafana SDK is a
 * dependency of @cors-sentinel/cli, or import the committed JSON: the `$job` / `$instance` / `$route`
 * variables adapt it to their targets).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDashboardRepoFiles } from './generate';

export function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { check: { type: 'boolean', default: false }, root: { type: 'string', default: '.' } },
    strict: true,
  });
  const root = resolve(values.root);
  const files = Object.entries(generateDashboardRepoFiles()).map(([rel, text]) => [join(root, rel), text] as const);
  if (values.check) {
    const stale = files.filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
    for (const [path] of stale) console.error(`out of date: ${path}`);
    if (stale.length > 0) process.exitCode = 1;
    else console.log(`${files.length} file(s) up to date`);
    return;
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}

if (require.main === module) main(process.argv.slice(2));
