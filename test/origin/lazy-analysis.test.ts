/**
 * refa and regexpp hold about 6 MB of heap once loaded (docs/BENCHMARKS.md, issue #32): a policy
 * without a RegExp origin must not load them, and one with a RegExp origin must still be analysed.
 * Run in a fresh Node process, on the built library, so that no other test's imports count.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const dist = path.join(__dirname, '../../packages/cors-sentinel/dist/cjs/sentinel.js');

function loadedAfter(origins: string): { refa: boolean; regexpp: boolean } {
  const script = `
    const { createSentinel } = require(${JSON.stringify(dist)});
    const s = createSentinel({ origins: ${origins}, credentials: true, logger: false });
    s.close();
    const keys = Object.keys(require.cache);
    process.stdout.write(JSON.stringify({ refa: keys.some((k) => k.includes('/refa/')), regexpp: keys.some((k) => k.includes('/regexpp/')) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as { refa: boolean; regexpp: boolean };
}

describe('RegExp analysis is loaded on first use', () => {
  it('a policy of exact and wildcard origins loads neither refa nor regexpp', () => {
    expect(loadedAfter(`['https://app.example.com', 'https://*.example.org']`)).toEqual({ refa: false, regexpp: false });
  });

  it('a RegExp origin is still proven safe: both are loaded and the policy compiles', () => {
    expect(loadedAfter(`[/^https:\\/\\/[a-z]+\\.example\\.com$/]`)).toEqual({ refa: true, regexpp: true });
  });

  it('an unsafe RegExp origin is still refused with credentials', () => {
    expect(() => loadedAfter(`[/^https:\\/\\/.*$/]`)).toThrow(/CorsConfigError: cors-sentinel: invalid configuration/);
  });
});
