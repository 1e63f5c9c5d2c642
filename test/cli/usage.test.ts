/**
 * Usage errors exit 2 in every command (1 stays for a run that failed): an option the command does not
 * know is refused by name, before anything starts listening or writing.
 */
import { spawnSync } from 'node:child_process';
import { CLI } from '../support/processes';

const COMMANDS = ['demo', 'traffic', 'mixin', 'check', 'explain', 'probe', 'proxy', 'logs'];

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
