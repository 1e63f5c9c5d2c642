/** The runnable-snippet marker and the documentation checks the tarball test runs (test/package/snippets.ts). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSnippet, type SnippetRun } from './snippet-runner';
import {
  documentationSnippets, documentedImports, importsCheckModule, plainTextPaths, relativeLinks, snippetCommand, snippetDependencies, snippetFile, snippetsOf, unmarkedBlocks,
} from './snippets';
import { ROOT } from '../support/processes';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { linkUnshippedPaths } = require('../../scripts/prepack.js') as { linkUnshippedPaths: (markdown: string, packageDir: string) => string };

describe('runnable snippets', () => {
  it('reads the marker, its environment and the fenced code below it', () => {
    const md = ['# x', '<!-- runnable: env=METRICS_TOKEN=abc env=MODE=fast -->', '```ts', 'const a = 1;', '```', '', '```ts', 'not marked', '```'].join('\n');
    const [snippet, ...rest] = snippetsOf(md, 'docs/x.md');
    expect(rest).toEqual([]);
    expect(snippet).toEqual({ where: 'docs/x.md:3', id: 'docs-x-md-3', language: 'ts', env: { METRICS_TOKEN: 'abc', MODE: 'fast' }, code: 'const a = 1;\n' });
    expect(snippetCommand(snippetsOf('<!-- runnable -->\n```js\nrequire("x")\n```', 'a.md')[0]!)).toEqual(['node', ['a-md-2.cjs']]);
    expect(snippetCommand(snippetsOf('<!-- runnable -->\n```sh\nls\n```', 'a.md')[0]!)).toEqual(['bash', ['-euo', 'pipefail', 'a-md-2.sh']]);
  });

  it('refuses a marker that is not directly above a runnable fence, or an attribute it does not know', () => {
    expect(() => snippetsOf('<!-- runnable -->\n\n```ts\nx\n```', 'a.md')).toThrow(/a\.md:1: a marker must sit directly above a fence/);
    expect(() => snippetsOf('<!-- runnable -->\n```yaml\nx: 1\n```', 'a.md')).toThrow(/must sit directly above/);
    expect(() => snippetsOf('<!-- runnable: server=demo -->\n```ts\nx\n```', 'a.md')).toThrow(/unknown runnable attribute "server=demo"/);
    expect(() => snippetsOf('<!-- runnable: request=GET:/x -->\n```ts\nx\n```', 'a.md')).toThrow(/need server=self/);
    expect(() => snippetsOf('<!-- runnable: server=self request=GET/x -->\n```ts\nx\n```', 'a.md')).toThrow(/is not METHOD:PATH/);
    expect(() => snippetsOf('<!-- fragment: why -->\n\n```ts\nx\n```', 'a.md')).toThrow(/a\.md:1: a marker must sit directly above a fence/);
  });

  it('reads a server snippet: its port variable, origin, requests (preflight by default) and backend', () => {
    const [plain] = snippetsOf('<!-- runnable: server=self -->\n```ts\nx\n```', 'a.md');
    expect(plain?.server).toEqual({ portVariable: 'PORT', origin: 'https://app.example.com', requests: [{ method: 'OPTIONS', path: '/', preflight: true, status: 204 }] });
    const md = '<!-- runnable: server=self port=METRICS_PORT backend=flask origin=http://localhost:6274 env=T=abcdefghijklmnopq request=GET:/metrics:401 request=GET:/metrics:200:bearer=T request=preflight:/api/x -->\n```sh\nx\n```';
    const [full] = snippetsOf(md, 'a.md');
    expect(full).toMatchObject({
      env: { T: 'abcdefghijklmnopq' }, backend: { kind: 'flask', portVariable: 'BACKEND_PORT' },
      server: { portVariable: 'METRICS_PORT', origin: 'http://localhost:6274', requests: [
        { method: 'GET', path: '/metrics', preflight: false, status: 401 },
        { method: 'GET', path: '/metrics', preflight: false, status: 200, bearer: 'T' },
        { method: 'OPTIONS', path: '/api/x', preflight: true, status: 204 },
      ] },
    });
  });

  it('holds every ts, js, sh, console and untagged block to a runnable or fragment marker, with a reason', () => {
    const md = ['<!-- runnable -->', '```ts', 'a', '```', '<!-- fragment: output -->', '```', 'b', '```', '```yaml', 'c: 1', '```',
      '<!-- fragment: -->', '```sh', 'd', '```', '```console', '$ e', '```', '  ```js', '  f', '  ```', '<!-- file: p.yml -->', '```', 'g', '```'].join('\n');
    expect(unmarkedBlocks(md, 'a.md')).toEqual(['a.md:13 (```sh)', 'a.md:16 (```console)', 'a.md:19 (```js)', 'a.md:23 (```)']);
  });

  it('lists the packages the snippets import, not ours nor node built-ins', () => {
    const snippets = snippetsOf("<!-- runnable -->\n```ts\nimport x from 'express';\nimport { a } from '@opentelemetry/sdk-metrics/build';\nimport 'node:http';\nimport { b } from 'cors-sentinel/koa';\nconst c = require('cors');\n```", 'a.md');
    expect(snippetDependencies(snippets)).toEqual(['@opentelemetry/sdk-metrics', 'cors', 'express']);
  });

  it('the README\'s first TypeScript snippet is marked runnable and states METRICS_TOKEN', () => {
    const first = documentationSnippets(ROOT).find((s) => s.where.startsWith('README.md') && s.language === 'ts');
    expect(first?.code).toMatch(/metricsHandler\(\{ auth: \{ bearerToken: process\.env\.METRICS_TOKEN/);
    expect((first?.env.METRICS_TOKEN ?? '').length).toBeGreaterThanOrEqual(16);
  });
});

describe('documented imports and links', () => {
  it('finds named imports and requires of the packages, types and aliases included', () => {
    const md = "import { corsSentinel, type Explanation, explain as why } from 'cors-sentinel';\nconst { corsSentinelHandler } = require('cors-sentinel');\nimport x from 'express';";
    const found = documentedImports(md, 'a.md');
    expect(found).toEqual([
      { where: 'a.md:1', specifier: 'cors-sentinel', names: ['corsSentinel', 'Explanation', 'explain'] },
      { where: 'a.md:2', specifier: 'cors-sentinel', names: ['corsSentinelHandler'] },
    ]);
    expect(importsCheckModule(found)).toContain("import type { corsSentinelHandler as i1_corsSentinelHandler } from 'cors-sentinel'; // a.md:2");
  });

  it('finds repository paths in plain text, outside links, and the packed copy links those the package does not ship', () => {
    const md = 'see `alerts/tests/` and deploy/x.yml, [`examples/`](https://x.example/examples/), packages/cli/src/ and https://h/docs/a.md.';
    expect(plainTextPaths(md)).toEqual(['alerts/tests/', 'deploy/x.yml', 'packages/cli/src/']);
    // A package folder that ships `alerts/` (as the CLI's prepack does), not the checkout's packages/cli,
    // whose copy exists only after a pack: the answer must not depend on which test ran first.
    const packageDir = mkdtempSync(path.join(tmpdir(), 'packed-cli-'));
    mkdirSync(path.join(packageDir, 'alerts'));
    writeFileSync(path.join(packageDir, 'alerts', 'cors-sentinel-alerts.yml'), 'groups: []\n');
    writeFileSync(path.join(packageDir, 'package.json'), JSON.stringify({ name: 'packed', files: ['alerts/*.yml'] }));
    const packed = linkUnshippedPaths(`${md}\n\`\`\`ts\n// see docs/a.md\n\`\`\`\nthe \`alerts/\` folder`, packageDir);
    rmSync(packageDir, { recursive: true, force: true });
    expect(plainTextPaths(packed)).toEqual(['alerts/']); // shipped by the package: it stays as it is
    expect(packed).toContain('[`alerts/tests/`](https://github.com/cors-sentinel/cors-sentinel/blob/main/alerts/tests/)');
    expect(packed).toContain('// see https://github.com/cors-sentinel/cors-sentinel/blob/main/docs/a.md');
  });

  it('lists relative link targets without anchors, leaving web and in-page links', () => {
    expect(relativeLinks('[a](docs/a.md#x) [b](https://x.example/y) [c](#top) [d](./e/)')).toEqual(['docs/a.md', './e/']);
  });
});

describe('a server snippet, run', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cors-snippet-runner-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const server = "require('node:http').createServer((req, res) => { res.setHeader('access-control-allow-origin', req.headers.origin ?? ''); res.statusCode = req.url === '/missing' ? 404 : req.method === 'OPTIONS' ? 204 : 200; res.end(String(req.headers.authorization)); }).listen(Number(process.env.PORT));";

  async function run(marker: string, code: string, language = 'js'): Promise<SnippetRun> {
    const [snippet] = snippetsOf(`<!-- runnable: ${marker} -->\n\`\`\`${language}\n${code}\n\`\`\``, 'a.md');
    writeFileSync(path.join(dir, snippetFile(snippet!)), snippet!.code);
    return runSnippet(snippet!, dir, { PATH: process.env.PATH });
  }

  it('passes when every request gets its status (and a granted preflight the Origin), and names what is wrong otherwise', async () => {
    expect((await run('server=self request=preflight:/a request=GET:/b', server)).problems).toEqual([]);
    expect((await run('server=self request=GET:/missing request=GET:/b:401', server)).problems).toEqual(['GET /missing: 404, expected 200', 'GET /b: 200, expected 401']);
    expect((await run('server=self port=P', 'setTimeout(() => {}, 100);')).problems).toEqual(['exited (0) before listening on $P']);
  });

  it('stops the whole process group: a server a shell snippet started in the background is gone afterwards', async () => {
    writeFileSync(path.join(dir, 'server.cjs'), `require('node:fs').writeFileSync('pid', String(process.pid)); ${server}`);
    expect((await run('server=self', 'node server.cjs & wait', 'sh')).problems).toEqual([]);
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] as string;
    } catch {
      // no such process
    }
    expect(['gone', 'Z']).toContain(state); // a zombie is dead, waiting for whoever adopted it to reap it
  });
});
