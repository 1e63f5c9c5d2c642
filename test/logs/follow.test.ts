/**
 * Following a log file through rotation on a real file system: every line exactly once, through
 * rename + reopen, copytruncate (lines still unread when the copy was taken are read from it), a
 * truncation that is rewritten past the old read position, and runaway lines.
 */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogFollower } from '../../packages/cli/src/logs/follow';
import { waitFor } from '../support/wait';

let dir: string;
let file: string;
let seen: Array<string | undefined>;
let follower: LogFollower;

function lines(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += `line ${i}\n`;
  return out;
}
const expected = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cors-follow-'));
  file = path.join(dir, 'access.log');
  seen = [];
});
afterEach(async () => {
  await follower?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function follow(options: ConstructorParameters<typeof LogFollower>[2] = {}): Promise<void> {
  follower = new LogFollower(file, (l) => seen.push(l), { pollMs: 60_000, ...options });
  await follower.start();
}

it('starts at the end by default, and at the start when asked', async () => {
  writeFileSync(file, lines(0, 5));
  await follow();
  appendFileSync(file, lines(5, 8));
  await follower.poll();
  expect(seen).toEqual(expected(5, 8));
  await follower.stop();
  seen = [];
  await follow({ fromStart: true });
  await follower.poll();
  expect(seen).toEqual(expected(0, 8));
});

it('waits for a file that does not exist yet and reads all of it', async () => {
  await follow();
  await follower.poll();
  writeFileSync(file, lines(0, 3));
  await follower.poll();
  expect(seen).toEqual(expected(0, 3));
});

it('rename rotation: drains the old file (lines written before the reopen), then reads the new one', async () => {
  writeFileSync(file, '');
  await follow();
  appendFileSync(file, lines(0, 10));
  await follower.poll();
  renameSync(file, `${file}.1`);
  appendFileSync(`${file}.1`, lines(10, 15)); // the writer still has the old file open
  writeFileSync(file, lines(15, 20)); // …then reopens
  await follower.poll();
  appendFileSync(file, lines(20, 22));
  await follower.poll();
  expect(seen).toEqual(expected(0, 22));
});

it('copytruncate: lines still unread when the copy was taken come from the copy, none twice', async () => {
  writeFileSync(file, '');
  await follow();
  appendFileSync(file, lines(0, 10));
  await follower.poll();
  appendFileSync(file, lines(10, 15)); // not read yet
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  appendFileSync(file, lines(15, 40)); // regrown past the old read position before the next poll
  await follower.poll();
  appendFileSync(file, lines(40, 42));
  await follower.poll();
  expect(seen).toEqual(expected(0, 42));
});

it('copytruncate rewritten to the same size with lines that end alike is still noticed', async () => {
  const entry = (i: number) => `{"uri":"/${i}","status":"200","tail":"${'same'.repeat(100)}"}\n`;
  writeFileSync(file, '');
  await follow();
  appendFileSync(file, entry(1) + entry(2));
  await follower.poll();
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  appendFileSync(file, entry(3) + entry(4)); // exactly as long as before, same last 256 bytes
  await follower.poll();
  expect(seen.map((l) => JSON.parse(l as string).uri)).toEqual(['/1', '/2', '/3', '/4']);
});

it('copytruncate without a copy: the rest is lost, but the new content is read from its start, once', async () => {
  writeFileSync(file, '');
  await follow({ copyPath: path.join(dir, 'nowhere') });
  appendFileSync(file, lines(0, 5));
  await follower.poll();
  truncateSync(file, 0);
  appendFileSync(file, lines(5, 7));
  await follower.poll();
  await follower.poll();
  expect(seen).toEqual(expected(0, 7));
});

it('a runaway line is reported once as oversized and the next lines still arrive', async () => {
  writeFileSync(file, '');
  await follow({ maxLineBytes: 1000 });
  appendFileSync(file, `${'x'.repeat(300_000)}\nafter\n`);
  await follower.poll();
  expect(seen).toEqual([undefined, 'after']);
});

it('says it is unhealthy while the file cannot be read, keeps retrying, and recovers', async () => {
  writeFileSync(file, lines(0, 2));
  const errors: string[] = [];
  await follow({ fromStart: true, pollMs: 20, staleAfterMs: 150, onError: (e) => errors.push(e.message) });
  const until = (check: () => boolean) => waitFor(check, check.toString(), { timeoutMs: 2_000, everyMs: 10 });
  await until(() => seen.length === 2);
  expect(follower.health()).toEqual({ ok: true, open: true });
  // A directory where the log was: opening it works, reading it fails (EISDIR) on every poll.
  rmSync(file);
  mkdirSync(file);
  await until(() => errors.length === 1);
  expect(follower.health().ok).toBe(true); // not yet stale: one failed poll is not an outage
  await until(() => !follower.health().ok);
  expect(follower.health().error).toMatch(/EISDIR/);
  expect(errors).toHaveLength(1); // reported once per outage, not on every poll
  rmSync(file, { recursive: true });
  writeFileSync(file, lines(2, 4));
  await until(() => follower.health().ok);
  await until(() => seen.length === 4);
  expect(seen).toEqual(expected(0, 4));
});
