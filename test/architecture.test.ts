/**
 * Imports point one way (issue #14): the engine reads the policy's settings, never the reverse; stores
 * know nothing of the policy; the engine knows nothing of frameworks, observers or tools. Checked on
 * the source text, type-only and dynamic imports included, so a back-edge fails here with its file and
 * import named instead of surfacing later as a cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

const SRC = resolve(__dirname, '../src');

interface Rule {
  /** The folder under src/ whose files are checked. */
  readonly from: string;
  /** Top-level names under src/ (folders, or files without `.ts`) those files may not import. */
  readonly banned: readonly string[];
}

const RULES: readonly Rule[] = [
  { from: 'policy', banned: ['engine'] },
  { from: 'stores', banned: ['policy'] },
  { from: 'engine', banned: ['adapters', 'metrics', 'logging', 'port', 'sentinel', 'demo', 'stack', 'mixin'] },
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

describe('import direction', () => {
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
    expect(found).toEqual(["src/engine/decide.ts imports '../port' (src/engine/ may not import adapters, metrics, logging, port, sentinel, demo, stack, mixin)"]);
  });
});
