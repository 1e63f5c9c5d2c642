/**
 * The log reader's own state as metrics (issue 24 item 2): `cors_log_read_failing` follows what
 * /healthz says while a real file cannot be read (a directory where the log was, as a bad logrotate
 * leaves it), and `cors_log_last_line_timestamp_seconds` moves with every line read, malformed ones too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogFollower } from '../../packages/cli/src/logs/follow';
import { createLogObserver, type LogObserver } from '../../packages/cli/src/logs/observer';
import { waitFor } from '../support/wait';

let dir: string;
let logs: LogObserver;
let follower: LogFollower;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cors-reader-state-'));
  logs = createLogObserver({});
});
afterEach(async () => {
  await follower?.stop();
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});

async function value(name: string): Promise<number | undefined> {
  const line = (await logs.registry.metrics()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

it('reports read failures while the log cannot be read, and the time of the last line read', async () => {
  const file = path.join(dir, 'access.log');
  writeFileSync(file, 'not json\n');
  follower = new LogFollower(file, (l) => void logs.line(l), { fromStart: true, pollMs: 20, staleAfterMs: 150 });
  logs.watchReading(() => follower.health().ok);
  expect(await value('cors_log_last_line_timestamp_seconds')).toBe(0);
  const before = Date.now() / 1000;
  await follower.start();
  const until = (check: () => Promise<boolean>, what: string) => waitFor(check, what, { timeoutMs: 10_000, everyMs: 20 });
  await until(async () => ((await value('cors_log_last_line_timestamp_seconds')) ?? 0) >= Math.floor(before), 'the malformed line to be read');
  expect(await value('cors_log_read_failing')).toBe(0);

  rmSync(file);
  mkdirSync(file);
  await until(async () => (await value('cors_log_read_failing')) === 1, 'the read failure to show');
  expect(follower.health().ok).toBe(false);

  rmSync(file, { recursive: true });
  writeFileSync(file, 'still not json\n');
  await until(async () => (await value('cors_log_read_failing')) === 0, 'the reader to recover');
});
