/**
 * Usage errors exit 2 in every command (1 stays for a run that failed): an option the command does not
 * know is refused by name, before anything starts listening or writing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT } from '../support/processes';

const COMMANDS = ['demo', 'traffic', 'mixin', 'check', 'explain', 'probe', 'proxy', 'logs', 'suggest'];

describe('cors-sentinel <command> with an option it does not know', () => {
  it.each(COMMANDS)('%s exits 2 and names the option', (command) => {
    const run = spawnSync(process.execPath, [CLI, command, '--no-such-option'], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: '' });
    expect(run.stderr).toMatch(/no-such-option/);
  });

  it('an unknown command exits 2 too', () => {
    const run = spawnSync(process.execPath, [CLI, 'no-such-command'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown command "no-such-command"/);
  });
});

describe('cors-sentinel --version and the help', () => {
  const manifest = (file: string): { version: string } => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as { version: string };

  it.each(['--version', '-V', 'version'])('%s prints both packages\' versions and Node\'s, exit 0', (flag) => {
    const run = spawnSync(process.execPath, [CLI, flag], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout.trim()).toBe(`@cors-sentinel/cli ${manifest('packages/cli/package.json').version} (cors-sentinel ${manifest('packages/cors-sentinel/package.json').version}, node ${process.version})`);
  });

  it('the help says that `stack` runs from a checkout of the repository only', () => {
    const run = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/^ {2}stack +from a checkout of the repository only \(not the npm package\)/m);
    expect(run.stdout).toMatch(/cors-sentinel --version/);
  });
});
