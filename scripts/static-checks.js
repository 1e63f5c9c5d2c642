'use strict';
/**
 * `npm test`'s type check and lint. Neither depends on the Node version running them, so a portable run
 * (CORS_SENTINEL_TESTS=portable, the extra Node versions of .ci/run) leaves them to the primary run,
 * which runs every suite; docs/node-versions.md says so.
 */
const { execSync } = require('node:child_process');

if (process.env.CORS_SENTINEL_TESTS === 'portable') {
  process.stdout.write('type check and lint: run once, by the primary (all suites) run\n');
} else {
  execSync('npm run typecheck --silent', { stdio: 'inherit' });
  execSync('npm run lint --silent', { stdio: 'inherit' });
}
