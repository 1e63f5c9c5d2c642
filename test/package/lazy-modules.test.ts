/**
 * What a sentinel loads is what its policy needs. The public suffix list (wildcards, RegExp guards,
 * same-site, 0.76 MB of heap), RE2JS (RegExp origins, 0.61 MB), the YAML parser (policy files, 0.98 MB)
 * and the evidence ledger (the `evidence` option, ~0.25 MB) are loaded on first use, as the RegExp
 * analysers are (test/origin/lazy-analysis.test.ts): an application configured with exact origins in
 * code does not carry them, and its live heap, which every full GC marks, stays smaller (issue #32).
 * Run in a fresh Node process on the built library.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../support/processes';

const DIST = path.join(ROOT, 'packages/cors-sentinel/dist/cjs');
const WATCHED = {
  'public suffix list': `${path.sep}vendor${path.sep}tldts.js`,
  re2js: `${path.sep}re2js${path.sep}`,
  yaml: `${path.sep}yaml${path.sep}`,
  'evidence ledger': `${path.sep}evidence${path.sep}ledger.js`,
};

/** Runs `setup` in a fresh process (`lib`: the built library); returns the watched modules loaded by its end. */
function loadedAfter(setup: string): string[] {
  const code = `const lib = require(${JSON.stringify(DIST)});
    ${setup}
    const watched = ${JSON.stringify(WATCHED)};
    process.on('exit', () => process.stdout.write(JSON.stringify(Object.keys(watched).filter((name) => Object.keys(require.cache).some((f) => f.includes(watched[name]))))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', cwd: ROOT })) as string[];
}

/** A sentinel with `options` that decides and records three requests (the span annotator runs on recording). */
const decideOnce = (options: string) => `const s = lib.createSentinel({ ${options}, logger: false });
  const run = async () => {
    for (const origin of ['https://app.example.com', 'https://x.example.com', 'https://evil.test']) {
      const h = s.handle({ method: 'GET', path: '/', origin, host: 'api.example.com' });
      h.complete(await h.decision, 'applied');
    }
  };
  run().then(() => s.close());`;

describe('modules loaded on first use', () => {
  it('a policy of exact origins, in code, with metrics, loads none of them', () => {
    expect(loadedAfter(decideOnce("origins: ['https://app.example.com']"))).toEqual([]);
  });

  it('wildcard origins load the public suffix list; RegExp origins RE2JS; a policy file the YAML parser', () => {
    expect(loadedAfter(decideOnce("origins: ['https://*.example.com']"))).toEqual(['public suffix list']);
    expect(loadedAfter(decideOnce('origins: [/^https:\\/\\/pr-\\d+\\.example\\.com$/]'))).toEqual(expect.arrayContaining(['re2js']));
    const file = "const f = require('node:path').join(require('node:os').tmpdir(), 'cors-lazy-' + process.pid + '.yaml'); require('node:fs').writeFileSync(f, 'origins: [https://app.example.com]'); lib.loadPolicyFile(f); require('node:fs').rmSync(f);";
    expect(loadedAfter(file)).toEqual(['yaml']);
  });

  it('the evidence option loads the evidence ledger', () => {
    const file = "const evidenceFile = require('node:path').join(require('node:os').tmpdir(), 'cors-lazy-evidence-' + process.pid + '.json'); process.on('exit', () => require('node:fs').rmSync(evidenceFile, { force: true }));";
    expect(loadedAfter(`${file}\n${decideOnce("origins: ['https://app.example.com'], evidence: { file: evidenceFile }")}`)).toEqual(['evidence ledger']);
  });
});
