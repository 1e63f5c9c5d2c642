/**
 * The whole import graph of both packages, checked by dependency-cruiser (.dependency-cruiser.cjs): layers
 * one way (pure ← observers ← port ← adapters ← tools), no cycles, the library never reaches the CLI, the
 * CLI reaches the library by its package name only. Below it, finer rules inside the pure layer.
 *
 * Imports point one way (issue #14): the engine reads the policy's settings, never the reverse; stores
 * know nothing of the policy; the engine knows nothing of frameworks, observers or tools. Checked on
 * the source text, type-only and dynamic imports included, so a back-edge fails here with its file and
 * import named instead of surfacing later as a cycle.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as ts from 'typescript';

const SRC = resolve(__dirname, '../packages/cors-sentinel/src');

interface Rule {
  /** The folder under src/ whose files are checked. */
  readonly from: string;
  /** Top-level names under src/ (folders, or files without `.ts`) those files may not import. */
  readonly banned: readonly string[];
}

const RULES: readonly Rule[] = [
  { from: 'policy', banned: ['engine'] },
  { from: 'stores', banned: ['policy'] },
  { from: 'engine', banned: ['adapters', 'metrics', 'logging', 'port', 'sentinel', 'instrumentation', 'report-only'] },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier in the file: `import`, `import type`, `export … from`, `import()`, `require()`. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The first segment under src/ of a relative import (`engine`, `port`, …); undefined for packages. */
function targetUnderSrc(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(SRC, resolve(dirname(file), specifier));
  if (target.startsWith('..')) return undefined;
  return (target.split(sep)[0] as string).replace(/\.(js|ts)$/, '');
}

/** `src/x/y.ts imports '../engine/z' (…)` for each import of `file` (with source `text`) that `rule` bans. */
function violations(rule: Rule, file: string, text: string): string[] {
  return importsOf(text)
    .filter((spec) => rule.banned.includes(targetUnderSrc(file, spec) ?? ''))
    .map((spec) => `src/${relative(SRC, file).split(sep).join('/')} imports '${spec}' (src/${rule.from}/ may not import ${rule.banned.join(', ')})`);
}

/** The src/ file a relative import names (`./x`, `./x.js`, `./dir` → index), or undefined for a package. */
function resolveSource(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(file), specifier).replace(/\.js$/, '');
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

/**
 * The first chain of imports from a file under src/`from`/ that reaches src/`to`/ (or src/`to`.ts), as
 * `a.ts → b.ts → c.ts`, or undefined: a rule that only looked at direct imports could be walked
 * around through a third folder (policy → stores → engine).
 */
function reachingChain(from: string, to: string): string | undefined {
  const name = (f: string) => relative(SRC, f).split(sep).join('/');
  const start = sourceFiles(join(SRC, from));
  const cameFrom = new Map<string, string | undefined>(start.map((f) => [f, undefined]));
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const next = resolveSource(file, spec);
      if (next === undefined || cameFrom.has(next)) continue;
      cameFrom.set(next, file);
      if (name(next).startsWith(`${to}/`) || name(next) === `${to}.ts`) {
        const chain = [next];
        for (let f: string | undefined = file; f !== undefined; f = cameFrom.get(f)) chain.unshift(f);
        return chain.map(name).join(' → ');
      }
      queue.push(next);
    }
  }
  return undefined;
}

const REPO = resolve(__dirname, '..');
const DEPCRUISE = join(REPO, 'node_modules', '.bin', 'depcruise');
const CONFIG = join(REPO, '.dependency-cruiser.cjs');

interface Cruise {
  summary: { violations: Array<{ from: string; to: string; rule: { name: string }; cycle?: Array<{ name: string }> }>; totalCruised: number };
}

/** dependency-cruiser over `dirs` (relative to `cwd`) with the repository's rules. */
function cruise(cwd: string, dirs: string[]): Cruise {
  const run = spawnSync(DEPCRUISE, [...dirs, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', timeout: 120_000 });
  if (!run.stdout) throw new Error(`depcruise printed nothing (status ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Cruise;
}

describe('the import graph of both packages (dependency-cruiser)', () => {
  jest.setTimeout(120_000);

  it('has no layer climbed, no cycle, no way from the library to the CLI, no relative path into the library', () => {
    const result = cruise(REPO, ['packages/cors-sentinel/src', 'packages/cli/src']);
    expect(result.summary.totalCruised).toBeGreaterThan(150);
    const described = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);
    expect(described).toEqual([]);
  });

  it('reports each kind of violation when one is planted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cors-sentinel-arch-'));
    try {
      const plant = (file: string, text: string) => {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', paths: { 'cors-sentinel/internal/*': ['./packages/cors-sentinel/src/*'] } } }));
      plant('packages/cors-sentinel/src/engine/decide.ts', "import type { Port } from '../port';\nexport const decide = 1;\n");
      plant('packages/cors-sentinel/src/port.ts', "import { decide } from './engine/decide';\nimport { main } from '../../cli/src/cli';\nexport type Port = typeof decide | typeof main;\n");
      plant('packages/cors-sentinel/src/newfolder/thing.ts', "import { decide } from '../engine/decide';\nexport const thing = decide;\n");
      plant('packages/cli/src/cli.ts', "import { decide } from '../../cors-sentinel/src/engine/decide';\nimport { thing } from 'cors-sentinel/internal/newfolder/thing';\nexport const main = decide + thing;\n");
      const rules = cruise(dir, ['packages']).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
      expect(rules).toEqual(expect.arrayContaining([
        'every-library-file-has-a-layer: packages/cors-sentinel/src/newfolder/thing.ts → packages/cors-sentinel/src/engine/decide.ts',
        'library-never-reaches-tools: packages/cors-sentinel/src/port.ts → packages/cli/src/cli.ts',
        'no-circular: packages/cors-sentinel/src/engine/decide.ts → packages/cors-sentinel/src/port.ts',
        'no-climb-from-pure: packages/cors-sentinel/src/engine/decide.ts → packages/cors-sentinel/src/port.ts',
        'tools-use-the-package-name: packages/cli/src/cli.ts → packages/cors-sentinel/src/engine/decide.ts',
      ]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('import direction', () => {
  it.each([
    ['policy', 'engine'],
    ['stores', 'engine'],
    ['stores', 'policy'],
    // Origin parsing and matching sit under all three: they report problems through a sink declared by shape.
    ['origin', 'policy'],
    ['origin', 'engine'],
    ['origin', 'stores'],
    // The engine is pure: what observes or serves its decisions is never in its import graph.
    ...['adapters', 'metrics', 'logging', 'observer', 'port', 'sentinel', 'instrumentation', 'report-only'].map((to) => ['engine', to]),
    ['policy', 'metrics'],
  ])('nothing under src/%s/ reaches src/%s/, not even through another folder', (from, to) => {
    expect(reachingChain(from, to)).toBeUndefined();
  });

  it('finds a chain that goes through another folder', () => {
    // The engine reaches the policy (it builds what the policy validated): a chain must be reported.
    expect(reachingChain('engine', 'policy')).toMatch(/^engine\/.+\.ts( → .+\.ts)* → policy\/.+\.ts$/);
  });

  it.each(RULES)('src/$from/ imports none of $banned', (rule) => {
    const files = sourceFiles(join(SRC, rule.from));
    expect(files.length).toBeGreaterThan(0);
    expect(files.flatMap((file) => violations(rule, file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('catches a back-edge of every kind: type-only, re-export, dynamic, through `..` or `.js`', () => {
    const planted = [
      "import type { CompiledPolicy } from '../engine/compiled';",
      "export { decide } from '../engine/decide.js';",
      "type T = import('../engine/decision').CorsRequest;",
      "const lazy = () => import('./../engine/explain');",
    ].join('\n');
    const found = violations(RULES[0] as Rule, join(SRC, 'policy', 'validate.ts'), planted);
    expect(found).toHaveLength(4);
    expect(found[0]).toBe("src/policy/validate.ts imports '../engine/compiled' (src/policy/ may not import engine)");
  });

  it('names a top-level module such as src/port.ts, and ignores packages of the same name', () => {
    const planted = "import { createPort } from '../port';\nimport metrics from 'metrics';";
    const found = violations(RULES[2] as Rule, join(SRC, 'engine', 'decide.ts'), planted);
    expect(found).toEqual(["src/engine/decide.ts imports '../port' (src/engine/ may not import adapters, metrics, logging, port, sentinel, instrumentation, report-only)"]);
  });
});
