/**
 * `cors-sentinel suggest` as a process: a usage mistake exits 2, a missing or invalid evidence file
 * exits 1 with the file's name and the EvidenceFormatError text, and what it writes passes `check`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyEvidence } from '../../packages/cors-sentinel/src/evidence/merge';
import { CLI } from '../support/processes';
import { DAY_MS, START } from './traffic';

const dir = mkdtempSync(join(tmpdir(), 'suggest-cli-'));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'suggest', ...args], { encoding: 'utf8', cwd: dir });

const good = join(dir, 'good.json');
const day = new Date(START).toISOString().slice(0, 10);
writeFileSync(good, JSON.stringify({
  ...emptyEvidence(), version: 1, instances: { 'web-1:1': { firstSeen: START, lastSeen: START + DAY_MS - 1 } }, days: [day],
  entries: [{
    route: '*', origin: 'https://app.example.com', firstSeen: START, lastSeen: START + 1000, days: [day], preflight: { allowed: 1, rejected: 0 },
    actual: { allowed: 3, rejected: 0 }, methods: { GET: 3, PUT: 1 }, headers: { 'content-type': 1 }, credentialedGrants: 0, secFetchSite: { 'same-site': 4 }, instances: ['web-1:1'],
  }],
  dropped: { requests: 7, pairs: 2 },
}));

describe('cors-sentinel suggest (process)', () => {
  it.each([
    [[], /--evidence FILE is required/],
    [['--evidence', good], /--out CANDIDATE\.yaml is required/],
    [['--evidence', good, '--out', 'c.yaml', '--min-days', 'soon'], /--min-days "soon": expected a whole number/],
    [['--evidence', good, '--out', 'c.yaml', '--now', 'yesterday'], /--now "yesterday": expected an ISO time/],
    [['--evidence', good, '--out', 'c.yaml', '--trust', 'co.uk'], /--trust co\.uk is a public suffix/],
    [['--evidence', good, '--out', 'c.yaml', '--keep', 'not an origin'], /--keep "not an origin": expected an origin/],
    [[good, '--out', 'c.yaml'], /evidence files are given with --evidence/],
    [['--evidence', good, '--out', 'c.yaml', '--bogus'], /bogus/],
  ])('usage error %j exits 2', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a missing evidence file exits 1 and names it', () => {
    const r = run('--evidence', join(dir, 'missing.json'), '--out', 'c.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--evidence ${join(dir, 'missing.json')}: cannot read it: no such file`);
  });

  it('an invalid evidence file exits 1 with the EvidenceFormatError text', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...emptyEvidence(), version: 1, entries: [{ route: '*', origin: 'https://a.example.com', days: ['yesterday'] }] }));
    const r = run('--evidence', bad, '--out', 'c.yaml');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--evidence ${bad}: not a valid cors-sentinel evidence file:`);
    expect(r.stderr).toContain('entries[0].days: must be a list of UTC days (YYYY-MM-DD)');
    const notJson = join(dir, 'access.log');
    writeFileSync(notJson, '127.0.0.1 - - [01/Jan/2026] "GET / HTTP/1.1" 200\n');
    expect(run('--evidence', notJson, '--out', 'c.yaml').stderr).toMatch(/not JSON/);
  });

  it('writes a candidate `check` accepts, says what was dropped and that one day is too short to call anything unused', () => {
    const r = run('--evidence', good, '--out', 'c.yaml', '--trust', 'example.com', '--now', `${day}T20:00:00Z`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('DROPPED by the bounded ledgers: 7 request(s) of 2 (route, origin) pair(s) not kept');
    expect(r.stdout).toContain('--min-days 30: NOT reached (1 recorded days)');
    expect(r.stdout).toContain('review https://app.example.com — too little history: seen on 1 of 1 recorded day(s)');
    const check = spawnSync(process.execPath, [CLI, 'check', join(dir, 'c.yaml')], { encoding: 'utf8' });
    expect(check.status).toBe(0);
  });

  it('is in the help', () => {
    expect(spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout).toMatch(/^ {2}suggest +suggest a least-privilege policy/m);
    expect(run('--help').stdout).toContain('--min-days');
  });
});
