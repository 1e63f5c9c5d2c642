/** The runnable-snippet marker and the documentation checks the tarball test runs (test/package/snippets.ts). */
import { documentationSnippets, documentedImports, importsCheckModule, relativeLinks, snippetCommand, snippetsOf } from './snippets';
import { ROOT } from '../support/processes';

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
    expect(() => snippetsOf('<!-- runnable -->\n\n```ts\nx\n```', 'a.md')).toThrow(/a\.md:1: a runnable marker must sit directly above/);
    expect(() => snippetsOf('<!-- runnable -->\n```yaml\nx: 1\n```', 'a.md')).toThrow(/must sit directly above/);
    expect(() => snippetsOf('<!-- runnable: server=demo -->\n```ts\nx\n```', 'a.md')).toThrow(/unknown runnable attribute "server=demo"/);
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

  it('lists relative link targets without anchors, leaving web and in-page links', () => {
    expect(relativeLinks('[a](docs/a.md#x) [b](https://x.example/y) [c](#top) [d](./e/)')).toEqual(['docs/a.md', './e/']);
  });
});
