/**
 * `suggest` reading its evidence in worker threads (readEvidenceFilesInParallel, what the command does on
 * large inputs) gives the same candidate, report and lines as reading it in one thread, and stops on
 * the same file with the same message. Workers run the built code (dist), as the command does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evidenceText } from '../../packages/cors-sentinel/src/evidence/file';
import type { EvidenceFile } from '../../packages/cors-sentinel/src/evidence/format';
import { ROOT } from '../support/processes';
import { END, generate } from './traffic';

const dir = mkdtempSync(join(tmpdir(), 'suggest-parallel-'));
const SUGGEST = join(ROOT, 'packages/cli/dist/cjs/suggest');

/** The generated fleet's files, each cut in three, written in the three ways a reader meets. */
function writeFiles(): string[] {
  const paths: string[] = [];
  for (const [f, file] of generate().files.entries()) {
    const third = Math.ceil(file.entries.length / 3);
    for (let k = 0; k < 3; k++) {
      const part: EvidenceFile = { ...file, entries: file.entries.slice(k * third, (k + 1) * third) };
      const path = join(dir, `e${f}-${k}.json`);
      const text = k === 0 ? evidenceText(part) : k === 1 ? JSON.stringify({ ...part, version: 1 }) : evidenceText(part).replace(/\n\[(\d+),/g, (m, n: string, at: number) => (at % 3 === 0 ? `\n[ ${n},` : m));
      writeFileSync(path, text);
      paths.push(path);
    }
  }
  return paths;
}

/** Runs suggest over `paths` with `threads` worker threads (1: the main thread) in a process of its own. */
function run(paths: string[], threads: number, name: string): { out: string; error: string } {
  const script = `
    const { readEvidenceFiles, readEvidenceFilesInParallel } = require(${JSON.stringify(join(SUGGEST, 'evidence-input.js'))});
    const { suggestFrom } = require(${JSON.stringify(join(SUGGEST, 'cli.js'))});
    const paths = ${JSON.stringify(paths)};
    const o = { evidence: paths, out: ${JSON.stringify(join(dir, `${name}.yaml`))}, report: ${JSON.stringify(join(dir, `${name}.json`))}, trust: ['example.com'], nowMs: ${END - 1} };
    (async () => {
      const view = ${threads} > 1 ? await readEvidenceFilesInParallel(paths, ${threads}, 0) : readEvidenceFiles(paths);
      console.log(suggestFrom(view, undefined, o).lines.join('\\n').replaceAll(${JSON.stringify(name)}, 'NAME'));
    })().catch((e) => { console.error(e.name + ': ' + e.message); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return { out: r.stdout, error: r.stderr };
}

describe('suggest with worker threads', () => {
  const paths = writeFiles();

  it('gives the same candidate, report and lines as one thread', () => {
    const one = run(paths, 1, 'one');
    expect(one.error).toBe('');
    expect(one.out).toMatch(/evidence: 6 file\(s\)/);
    for (const threads of [2, 4]) {
      const many = run(paths, threads, `many${threads}`);
      expect(many).toEqual(one);
      expect(readFileSync(join(dir, `many${threads}.json`), 'utf8')).toBe(readFileSync(join(dir, 'one.json'), 'utf8'));
      expect(readFileSync(join(dir, `many${threads}.yaml`), 'utf8')).toBe(readFileSync(join(dir, 'one.yaml'), 'utf8'));
    }
  });

  it('stops on the first bad file in file order, with the same message', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, readFileSync(paths[0] as string, 'utf8').replace(/\n\[\d+,/, '\n[99,'));
    const withBad = [...paths.slice(0, 4), bad, ...paths.slice(4), join(dir, 'missing.json')];
    const one = run(withBad, 1, 'bad1');
    expect(one.error).toMatch(/SuggestInputError: cors-sentinel suggest: --evidence .*bad\.json: not a valid cors-sentinel evidence file:\n  - entries\[0\]\[0\]: route: must index routes/);
    expect(run(withBad, 3, 'bad3')).toEqual(one);
  });
});
