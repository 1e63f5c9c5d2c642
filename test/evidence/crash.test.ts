/**
 * No torn file on a crash: a process writing its evidence every second under steady traffic is killed
 * with SIGKILL at several moments; the file left behind always parses (the old version or the new one).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEvidence } from '../../packages/cors-sentinel/src/evidence/parse';
import { ROOT } from '../support/processes';
import { waitFor } from '../support/wait';

const WRITER = `
const { createSentinel } = require(${JSON.stringify(path.join(ROOT, 'packages/cors-sentinel/dist/cjs'))});
const s = createSentinel({ origins: ['https://app.example.com'], logger: false, metrics: false, evidence: { file: process.argv[1], flushIntervalMs: 1000 } });
let i = 0;
setInterval(() => {
  for (let k = 0; k < 2000; k++, i++) {
    const req = { method: 'GET', path: '/p' + (i % 7), origin: 'https://o' + (i % 3000) + '.example' };
    s.record(s.decide(req), 0, req.origin, req);
  }
}, 5);
`;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'evidence-crash-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('leaves a whole evidence file whenever the writer is killed', async () => {
  const file = path.join(dir, 'cors-evidence.json');
  for (const delayMs of [0, 150, 400, 700]) {
    const child = spawn('node', ['-e', WRITER, file], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Each run merges the file the previous (killed) run left, then writes it again: kill it around a write.
      await waitFor(() => existsSync(file), 'the evidence file to be written', { timeoutMs: 20_000 });
      await new Promise((r) => setTimeout(r, 1000 + delayMs));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const evidence = parseEvidence(readFileSync(file, 'utf8'));
    expect(evidence.entries.length).toBeGreaterThan(0);
  }
});
