/**
 * The documentation's snippets (issue #30). Every fenced `ts`, `js`, `sh` or `console` block of README.md and
 * docs/*.md — and every fence without a language, which can hide a command — carries one of two markers on
 * the line directly above its fence:
 *
 *     <!-- runnable -->                              runs as pasted (below)
 *     <!-- runnable: ATTRIBUTE ATTRIBUTE … -->
 *     <!-- fragment: why it cannot run -->           deliberately not a program: an output sample, a usage
 *                                                    synopsis, a skeleton, a command for a checkout of the repository
 *
 * A runnable snippet runs as pasted in one fresh project that installed the packed tarballs
 * (test/package/tarball.test.ts). TypeScript is type-checked (strict, ESM; all snippets in one tsc run)
 * and then run; `js` runs as CommonJS when it calls `require(`, as ESM otherwise; `sh` runs under
 * `bash -euo pipefail`, with an `npm` on PATH that installs `cors-sentinel` and `@cors-sentinel/cli` from
 * the tarballs (they are not published from a checkout) and `-g` into a scratch prefix. Attributes:
 *
 *   env=NAME=value          the environment the prose around the snippet states (repeatable); nothing else is set
 *   server=self             the snippet is a server: the test reserves a free loopback port, passes it in $PORT,
 *                           starts the snippet, waits (30 s at most) until the port accepts connections, sends
 *                           the requests, checks the answers and stops the snippet's process group (SIGTERM).
 *                           The snippet reads its port as a user would set it: `process.env.PORT ?? 3000`,
 *                           `--listen 127.0.0.1:${PORT:-8080}`
 *   port=NAME               the variable that carries the port instead of PORT (e.g. METRICS_PORT)
 *   request=METHOD:PATH[:STATUS[:bearer=VAR]]
 *                           a request to send (repeatable; default `request=preflight:/`). `preflight` is
 *                           OPTIONS with Access-Control-Request-Method: GET; every request carries the Origin.
 *                           STATUS defaults to 204 for a preflight and 200 otherwise; a preflight answered 2xx
 *                           must allow the Origin. `bearer=VAR` sends `Authorization: Bearer $VAR`
 *   origin=URL              the Origin sent (default https://app.example.com)
 *   backend=flask[:NAME]    a backend the test provides before the snippet starts: the Flask app of
 *                           test/fixtures/flask under gunicorn, its port in $BACKEND_PORT (or $NAME)
 *
 * Without `server=`, a snippet must exit 0 within a minute (one that starts a server closes it itself).
 * A data block the snippets read carries `<!-- file: NAME -->`: the test writes it to NAME in the project first.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type SnippetLanguage = 'ts' | 'js' | 'sh';

/** A request a `server=self` snippet must answer. */
export interface SnippetRequest {
  readonly method: string;
  readonly path: string;
  readonly preflight: boolean;
  readonly status: number;
  /** The variable whose value is sent as a bearer token. */
  readonly bearer?: string;
}

export interface SnippetServer {
  /** The variable the port is passed in. */
  readonly portVariable: string;
  readonly origin: string;
  readonly requests: readonly SnippetRequest[];
}

export interface SnippetBackend {
  readonly kind: 'flask';
  readonly portVariable: string;
}

export interface Snippet {
  /** `README.md:25`: the file and the line of the opening fence. */
  readonly where: string;
  /** A file name for the snippet, unique within the set. */
  readonly id: string;
  readonly language: SnippetLanguage;
  readonly env: Readonly<Record<string, string>>;
  readonly code: string;
  readonly server?: SnippetServer;
  readonly backend?: SnippetBackend;
}

/** A fenced block of any language, with the marker above it (if any). */
export interface FencedBlock {
  readonly where: string;
  readonly language: string;
  readonly marker: 'runnable' | 'fragment' | 'file' | undefined;
  /** The marker's text after `runnable:` / `fragment:` / `file:`. */
  readonly attributes: string;
  readonly code: string;
}

const MARKER = /^\s*<!--\s*(runnable|fragment|file)(?::(.*?))?\s*-->\s*$/;
const FENCE = /^\s*```\s*([\w-]*)\s*$/;
const LANGUAGES: Readonly<Record<string, SnippetLanguage>> = {
  ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', sh: 'sh', bash: 'sh', shell: 'sh',
};
/** Languages whose blocks must be marked runnable or fragment ('' is a fence without a language). */
const MUST_BE_MARKED = new Set([...Object.keys(LANGUAGES), 'console', '']);
export const DEFAULT_ORIGIN = 'https://app.example.com';

/** Every fenced block of a Markdown text, in order, with the marker on the line above its fence. */
export function fencedBlocks(markdown: string, file: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const fence = FENCE.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && /^\s*```\s*$/.test(line));
    if (end < 0) throw new Error(`${file}:${i + 1}: the fence is never closed`);
    const marker = MARKER.exec(lines[i - 1] ?? '');
    blocks.push({
      where: `${file}:${i + 1}`, language: fence[1] ?? '', marker: marker?.[1] as FencedBlock['marker'],
      attributes: (marker?.[2] ?? '').trim(), code: lines.slice(i + 1, end).join('\n') + '\n',
    });
    i = end;
  }
  const orphan = lines.findIndex((line, i) => MARKER.test(line) && !FENCE.test(lines[i + 1] ?? ''));
  if (orphan >= 0) throw new Error(`${file}:${orphan + 1}: a marker must sit directly above a fence`);
  return blocks;
}

/** Blocks that can hide a program and say neither `runnable` nor `fragment: why`. */
export function unmarkedBlocks(markdown: string, file: string): string[] {
  return fencedBlocks(markdown, file)
    .filter((b) => MUST_BE_MARKED.has(b.language) && !(b.marker === 'runnable' || (b.marker === 'fragment' && b.attributes !== '')))
    .map((b) => `${b.where} (\`\`\`${b.language})`);
}

function parseRequest(spec: string, where: string): SnippetRequest {
  const match = /^(preflight|[A-Z]+):(\/[^:\s]*)(?::(\d{3}))?(?::bearer=([A-Z_][A-Z0-9_]*))?$/.exec(spec);
  if (!match) throw new Error(`${where}: request=${spec} is not METHOD:PATH[:STATUS[:bearer=VAR]]`);
  const preflight = match[1] === 'preflight';
  return {
    method: preflight ? 'OPTIONS' : (match[1] as string), path: match[2] as string, preflight,
    status: match[3] ? Number(match[3]) : preflight ? 204 : 200, ...(match[4] ? { bearer: match[4] } : {}),
  };
}

interface ParsedMarker {
  env: Record<string, string>;
  server?: SnippetServer;
  backend?: SnippetBackend;
}

function parseMarker(attributes: string, where: string): ParsedMarker {
  const env: Record<string, string> = {};
  const requests: SnippetRequest[] = [];
  let server = false;
  let portVariable = 'PORT';
  let origin = DEFAULT_ORIGIN;
  let backend: SnippetBackend | undefined;
  for (const attribute of attributes.split(/\s+/).filter(Boolean)) {
    const [key, value = ''] = [attribute.slice(0, attribute.indexOf('=')), attribute.slice(attribute.indexOf('=') + 1)];
    const envMatch = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(value);
    const backendMatch = /^flask(?::([A-Z_][A-Z0-9_]*))?$/.exec(value);
    if (key === 'env' && envMatch) env[envMatch[1] as string] = envMatch[2] as string;
    else if (key === 'server' && value === 'self') server = true;
    else if (key === 'port' && /^[A-Z_][A-Z0-9_]*$/.test(value)) portVariable = value;
    else if (key === 'request') requests.push(parseRequest(value, where));
    else if (key === 'origin' && /^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(value)) origin = value;
    else if (key === 'backend' && backendMatch) backend = { kind: 'flask', portVariable: backendMatch[1] ?? 'BACKEND_PORT' };
    else throw new Error(`${where}: unknown runnable attribute ${JSON.stringify(attribute)} (env=NAME=value, server=self, port=NAME, request=…, origin=URL, backend=flask)`);
  }
  if (!server && (requests.length > 0 || portVariable !== 'PORT' || origin !== DEFAULT_ORIGIN)) throw new Error(`${where}: request=, port= and origin= need server=self`);
  return {
    env,
    ...(server ? { server: { portVariable, origin, requests: requests.length > 0 ? requests : [parseRequest('preflight:/', where)] } } : {}),
    ...(backend ? { backend } : {}),
  };
}

/** The runnable snippets of one Markdown text. A runnable marker above a fence of another language is an error. */
export function snippetsOf(markdown: string, file: string): Snippet[] {
  return fencedBlocks(markdown, file).filter((b) => b.marker === 'runnable').map((block) => {
    const language = LANGUAGES[block.language];
    const line = Number(block.where.slice(block.where.lastIndexOf(':') + 1));
    if (!language) throw new Error(`${file}:${line - 1}: a runnable marker must sit directly above a \`\`\`ts, js or sh fence`);
    const id = `${file.replace(/[^\w]+/g, '-')}-${line}`;
    return { where: block.where, id, language, code: block.code, ...parseMarker(block.attributes, block.where) };
  });
}

/** README.md and docs/*.md, relative to `root`. */
export function documentationFiles(root: string): string[] {
  return ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** Every runnable snippet of README.md and docs/*.md under `root`. */
export function documentationSnippets(root: string): Snippet[] {
  return documentationFiles(root).flatMap((file) => snippetsOf(readFileSync(path.join(root, file), 'utf8'), file));
}

/** The `<!-- file: NAME -->` blocks of README.md and docs/*.md: the files the snippets read. */
export function documentationDataFiles(root: string): Array<{ name: string; where: string; content: string }> {
  return documentationFiles(root).flatMap((file) => fencedBlocks(readFileSync(path.join(root, file), 'utf8'), file)
    .filter((b) => b.marker === 'file').map((b) => ({ name: b.attributes, where: b.where, content: b.code })));
}

/** Packages the snippets import or require (bare specifiers, not node: built-ins nor ours). */
export function snippetDependencies(snippets: readonly Snippet[]): string[] {
  const names = new Set<string>();
  for (const s of snippets) {
    if (s.language === 'sh') continue;
    for (const m of s.code.matchAll(/(?:from\s+|require\(|import\()'([^'./][^']*)'/g)) {
      const spec = m[1] as string;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
      if (!name.startsWith('node:') && name !== 'cors-sentinel' && name !== '@cors-sentinel/cli') names.add(name);
    }
  }
  return [...names].sort();
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

/**
 * Repository paths named in plain text (`examples/mcp-local/`, deploy/x.yml), outside links: the shipped
 * copy must hold them, or name them as links to the repository (scripts/prepack.js rewrites them so).
 * Shares its pattern with scripts/prepack.js.
 */
export function plainTextPaths(markdown: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PLAIN_PATH } = require('../../scripts/prepack.js') as { PLAIN_PATH: RegExp };
  const withoutLinks = markdown.replace(/\[[^\]]*\]\([^)\s]*\)/g, '');
  return [...withoutLinks.matchAll(new RegExp(PLAIN_PATH.source, 'g'))].map((m) => (m[1] as string).replace(/[.,:;]+$/, ''));
}
