/**
 * The documentation's runnable snippets (issue #30): a fenced `ts`, `js` or `sh` block of README.md or
 * docs/*.md whose fence is directly preceded by the marker
 *
 *     <!-- runnable -->
 *     <!-- runnable: env=METRICS_TOKEN=a-long-random-scrape-token -->
 *
 * must run as pasted into a fresh project that installed the packed tarballs (test/package/tarball.test.ts
 * runs them). `env=NAME=value` (repeatable) is the environment the snippet states in the prose around it;
 * the runner sets nothing else. A TypeScript snippet is type-checked (strict, ESM) and then run, a `js`
 * snippet runs as CommonJS when it calls `require(`, as ESM otherwise, an `sh` snippet runs under
 * `bash -euo pipefail`. Each must exit 0 within a minute; a snippet that starts a server closes it itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type SnippetLanguage = 'ts' | 'js' | 'sh';

export interface Snippet {
  /** `README.md:25`: the file and the line of the opening fence. */
  readonly where: string;
  /** A file name for the snippet, unique within the set. */
  readonly id: string;
  readonly language: SnippetLanguage;
  readonly env: Readonly<Record<string, string>>;
  readonly code: string;
}

const MARKER = /^<!--\s*runnable(?::(.*?))?\s*-->\s*$/;
const FENCE = /^```(\w+)?\s*$/;
const LANGUAGES: Readonly<Record<string, SnippetLanguage>> = {
  ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', sh: 'sh', bash: 'sh', shell: 'sh',
};

function parseMarker(attributes: string, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const attribute of attributes.split(/\s+/).filter(Boolean)) {
    const match = /^env=([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(attribute);
    if (!match) throw new Error(`${where}: unknown runnable attribute ${JSON.stringify(attribute)} (only env=NAME=value)`);
    env[match[1] as string] = match[2] as string;
  }
  return env;
}

/** The runnable snippets of one Markdown text. A marker not followed by a fence of a runnable language is an error. */
export function snippetsOf(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const marker = MARKER.exec(lines[i] as string);
    if (!marker) continue;
    const where = `${file}:${i + 2}`;
    const fence = FENCE.exec(lines[i + 1] ?? '');
    const language = fence?.[1] ? LANGUAGES[fence[1]] : undefined;
    if (!language) throw new Error(`${file}:${i + 1}: a runnable marker must sit directly above a \`\`\`ts, js or sh fence`);
    const end = lines.findIndex((line, j) => j > i + 1 && /^```\s*$/.test(line));
    if (end < 0) throw new Error(`${where}: the fence is never closed`);
    const id = `${file.replace(/[^\w]+/g, '-')}-${i + 2}`;
    found.push({ where, id, language, env: parseMarker(marker[1] ?? '', where), code: lines.slice(i + 2, end).join('\n') + '\n' });
  }
  return found;
}

/** Every runnable snippet of README.md and docs/*.md under `root`. */
export function documentationSnippets(root: string): Snippet[] {
  const docs = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs].flatMap((file) => snippetsOf(readFileSync(path.join(root, file), 'utf8'), file));
}

/** The file a snippet is written to in the fresh project. */
export function snippetFile(snippet: Snippet): string {
  if (snippet.language === 'ts') return `${snippet.id}.mts`;
  if (snippet.language === 'sh') return `${snippet.id}.sh`;
  return `${snippet.id}.${/\brequire\(/.test(snippet.code) ? 'cjs' : 'mjs'}`;
}

/** A tsconfig for the TypeScript snippets in `project`: strict, ESM, library types checked. */
export function snippetTsconfig(snippets: readonly Snippet[]): object {
  return {
    compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, esModuleInterop: true, skipLibCheck: true, outDir: 'snippets-out', types: ['node'] },
    files: snippets.filter((s) => s.language === 'ts').map(snippetFile),
  };
}

/** The command that runs a written (and, for TypeScript, compiled) snippet. */
export function snippetCommand(snippet: Snippet): [string, string[]] {
  const file = snippetFile(snippet);
  if (snippet.language === 'sh') return ['bash', ['-euo', 'pipefail', file]];
  if (snippet.language === 'ts') return ['node', [path.join('snippets-out', file.replace(/\.mts$/, '.mjs'))]];
  return ['node', [file]];
}

/** A named import the documentation shows: `import { a, type B } from 'cors-sentinel/koa'` or `const { a } = require('cors-sentinel')`. */
export interface DocumentedImport {
  readonly where: string;
  readonly specifier: string;
  readonly names: readonly string[];
}

const IMPORT = /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'((?:cors-sentinel|@cors-sentinel\/cli)(?:\/[^']*)?)'|const\s+\{([^}]*)\}\s*=\s*require\('((?:cors-sentinel|@cors-sentinel\/cli)(?:\/[^']*)?)'\)/g;

/** Every named import of the packages in `markdown` (code blocks and prose alike). */
export function documentedImports(markdown: string, file: string): DocumentedImport[] {
  const found: DocumentedImport[] = [];
  for (const m of markdown.matchAll(IMPORT)) {
    const list = (m[1] ?? m[3]) as string;
    const names = list.split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+|\s*:\s*/)[0] as string).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
    const line = markdown.slice(0, m.index).split('\n').length;
    found.push({ where: `${file}:${line}`, specifier: (m[2] ?? m[4]) as string, names });
  }
  return found;
}

/** A TypeScript module that type-checks only if every documented name is exported where the docs say. */
export function importsCheckModule(imports: readonly DocumentedImport[]): string {
  return imports.map((imp, i) => `import type { ${imp.names.map((n) => `${n} as i${i}_${n}`).join(', ')} } from '${imp.specifier}'; // ${imp.where}`).join('\n') + '\nexport {};\n';
}

/** Relative links (`](docs/x.md)`, `](./a#b)`) of a Markdown text: the shipped copy must hold their targets. */
export function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\((?!https?:|mailto:|#)([^)\s]+)\)/g)].map((m) => (m[1] as string).replace(/#.*$/, ''));
}
