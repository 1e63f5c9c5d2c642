/**
 * The two packages as npm publishes them: `npm pack` of each workspace (its `prepack` copies the README,
 * the LICENSE and, for the CLI, the generated alerts and dashboards from the repository root; no build:
 * the build already ran, and a rebuild would race the other suites reading dist/), each file list checked
 * against an allow-list, and arethetypeswrong run on the library's tarball.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../support/processes';

export type PackageName = 'cors-sentinel' | '@cors-sentinel/cli';

export interface PackageRules {
  /** The workspace folder, relative to the repository root. */
  readonly dir: string;
  /** What a user needs, and nothing else. Extend it when a new kind of file must ship. */
  readonly allowed: readonly RegExp[];
  /** Files the package is useless without. */
  readonly required: readonly string[];
  /** Shipped code that is for maintainers only and must stay out of the tarball. */
  readonly devOnlyPrefixes: readonly string[];
}

const COMMON: readonly RegExp[] = [/^package\.json$/, /^README\.md$/, /^LICENSE$/];
const SOURCES = ['src/', 'test/', 'bench/', 'scripts/', 'deploy/', 'docs/'];

export const PACKAGES: Readonly<Record<PackageName, PackageRules>> = {
  'cors-sentinel': {
    dir: 'packages/cors-sentinel',
    allowed: [
      ...COMMON,
      /^dist\/cjs\/.+\.(js|d\.ts)$/, // the CommonJS build and its declarations
      /^dist\/esm\/.+\.(mjs|d\.mts)$/, // ESM entry points over it and their declarations
      /^schema\/[^/]+\.json$/, // JSON Schemas (policy files)
    ],
    required: [
      'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts',
      'dist/cjs/adapters/fastify.js', 'dist/cjs/adapters/koa.js', 'dist/esm/fastify.mjs', 'dist/esm/koa.mjs',
      'schema/policy.schema.json', 'README.md', 'LICENSE',
    ],
    // The library holds no command: everything a tool needs lives in @cors-sentinel/cli.
    devOnlyPrefixes: [...SOURCES, 'dist/cjs/cli', 'dist/cjs/mixin/', 'dist/cjs/probe/', 'dist/cjs/proxy/', 'dist/cjs/logs/', 'dist/cjs/demo/', 'dist/cjs/stack/', 'alerts/', 'dashboards/'],
  },
  '@cors-sentinel/cli': {
    dir: 'packages/cli',
    allowed: [
      ...COMMON,
      /^dist\/cjs\/.+\.js$/, // the command's CommonJS build (a program, not a library: no declarations)
      /^alerts\/[^/]+\.yml$/, // generated Prometheus rules
      /^dashboards\/[^/]+\.json$/, // generated Grafana dashboards
      /^deploy\/prometheus\/probe-scrape\.example\.yml$/, // the prober's scrape example the README names
    ],
    required: [
      'dist/cjs/cli.js', 'dist/cjs/mixin/cli.js', 'dist/cjs/proxy/cli.js', 'dist/cjs/probe/cli.js', 'dist/cjs/logs/cli.js', 'dist/cjs/demo/main.js',
      'alerts/cors-sentinel-alerts.yml', 'alerts/cors-sentinel-rules.yml', 'dashboards/cors-overview.json', 'deploy/prometheus/probe-scrape.example.yml', 'README.md', 'LICENSE',
    ],
    devOnlyPrefixes: [...SOURCES.filter((p) => p !== 'deploy/'), 'dist/cjs/stack/'],
  },
};

export interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

export function pack(name: PackageName, destination: string): Packed {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: path.join(ROOT, PACKAGES[name].dir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack printed no result: ${out}`);
  return { tarball: path.join(destination, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** Files outside the package's allow-list, and required files that are missing. */
export function fileListProblems(name: PackageName, files: readonly string[]): { unexpected: string[]; missing: string[] } {
  const rules = PACKAGES[name];
  return {
    unexpected: files.filter((f) => !rules.allowed.some((re) => re.test(f)) || rules.devOnlyPrefixes.some((p) => f.startsWith(p))),
    missing: rules.required.filter((f) => !files.includes(f)),
  };
}

/** arethetypeswrong on a tarball: its problems (empty when the types resolve right for CJS, ESM and bundlers). */
export function typesProblems(tarball: string): { status: number | null; problems: unknown; output: string } {
  const attw = path.join(ROOT, 'node_modules', '.bin', 'attw');
  const run = spawnSync(attw, [tarball, '--format', 'json'], { encoding: 'utf8', timeout: 120_000 });
  let problems: unknown = run.stdout;
  try {
    problems = (JSON.parse(run.stdout) as { problems: unknown }).problems;
  } catch {
    // not JSON: keep the raw output for the failure message
  }
  return { status: run.status, problems, output: run.stdout + run.stderr };
}
