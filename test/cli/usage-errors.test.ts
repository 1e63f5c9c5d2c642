/**
 * Every command's flags are checked before it starts anything: a usage mistake is one clear message
 * on stderr (never a stack trace) and exit code 2, including node:util parseArgs' own errors.
 */
import { spawnSync } from 'node:child_process';
import { CLI } from '../support/processes';

const CASES: [string[], RegExp][] = [
  [['nosuch'], /unknown command "nosuch"/],
  [['proxy', '--bogus'], /cors-sentinel proxy: Unknown option '--bogus'/],
  [['proxy', '--mode', 'audit'], /--policy FILE is required[\s\S]*--mode "audit": use enforce or observe/],
  [['proxy', '--policy', 'p.yaml', '--upstream', 'http://a/b?c'], /--upstream must be http\(s\):\/\/host\[:port\] without path, query or credentials, got "http:\/\/a\/b\?c"/],
  [['logs', '--format', 'apache', 'x.log'], /--format "apache": only nginx-json is supported/],
  [['logs', '--format', 'nginx-json', '--metrics-listen', '1:2:3', '-'], /--metrics-listen "1:2:3": expected host:port/],
  [['logs', '--format', 'nginx-json', '--poll-ms', '0', 'x.log'], /--poll-ms "0": expected a whole number above 0/],
  [['probe', '--nope'], /cors-sentinel probe: Unknown option '--nope'/],
  [['probe', '--serve', '127.0.0.1:0'], /--serve needs --config FILE/],
  [['probe', 'http://127.0.0.1:9/', '--key-file', '/nonexistent/cors-probe.key'], /--key-file: cannot read the probe key file \/nonexistent\/cors-probe.key: ENOENT/],
  [['proxy', '--policy', 'p.yaml', '--upstream', 'http://127.0.0.1:9', '--probe-key-file', '/nonexistent/k'], /--probe-key-file: cannot read the probe key file \/nonexistent\/k: ENOENT/],
  [['mixin', '--format', 'helm'], /cors-sentinel mixin: --format must be files or prometheus-operator/],
  [['mixin', '--set', 'thresholds'], /--set expects PATH=VALUE/],
  [['check', '--what'], /cors-sentinel check: Unknown option '--what'/],
  [['check'], /usage: cors-sentinel check/],
  [['explain', '--policy'], /cors-sentinel explain: Option '--policy <value>' argument missing/],
  [['demo', '--port', '99999'], /cors-sentinel demo: invalid --port 99999/],
  [['demo', '--profile', 'loud', '--port', '0'], /--profile must be normal or attack/],
];

describe('cors-sentinel usage errors', () => {
  it.each(CASES)('%j: a message and exit code 2', (args, message) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.status).toBe(2);
  });
});
