/**
 * The package as npm publishes it: `npm pack` (scripts off: the build already ran, and a rebuild would
 * race the other suites reading dist/), the file list checked against an allow-list, and
 * arethetypeswrong run on the tarball.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../support/processes';

/**
 * What a user needs, and nothing else. Extend it when a new kind of file must ship (e.g. `schema/`),
 * and keep dev-only material (sources, maps, tests, the stack's compose and deploy files) out.
 */
export const ALLOWED_FILES: readonly RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^dist\/cjs\/.+\.(js|d\.ts)$/, // the CommonJS build and its declarations
  /^dist\/esm\/.+\.(mjs|d\.mts)$/, // ESM entry points over it and their declarations
  /^alerts\/[^/]+\.yml$/, // generated Prometheus rules
  /^dashboards\/[^/]+\.json$/, // generated Grafana dashboards
  /^docs\/[^/]+\.md$/,
  /^schema\/[^/]+\.json$/, // JSON Schemas (policy files)
];

/** Files the package is useless without. */
export const REQUIRED_FILES: readonly string[] = [
  'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts', 'dist/cjs/cli.js',
  'alerts/cors-sentinel-alerts.yml', 'alerts/cors-sentinel-rules.yml', 'dashboards/cors-overview.json', 'README.md', 'LICENSE',
];

/** Shipped code that is for maintainers only and must stay out of the tarball. */
export const DEV_ONLY_PREFIXES: readonly string[] = ['dist/cjs/stack/', 'src/', 'test/', 'bench/', 'scripts/', 'deploy/'];

export interface Packed {
  readonly tarball: string;
  readonly files: readonly string[];
}

export function pack(destination: string): Packed {
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (!info) throw new Error(`npm pack printed no result: ${out}`);
  return { tarball: path.join(destination, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** Files outside the allow-list, and required files that are missing. */
export function fileListProblems(files: readonly string[]): { unexpected: string[]; missing: string[] } {
  return {
    unexpected: files.filter((f) => !ALLOWED_FILES.some((re) => re.test(f)) || DEV_ONLY_PREFIXES.some((p) => f.startsWith(p))),
    missing: REQUIRED_FILES.filter((f) => !files.includes(f)),
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
