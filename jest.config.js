/**
 * `npm test` runs every suite. `CORS_SENTINEL_TESTS=portable npm test` leaves out the suites listed in
 * PRIMARY_ONLY: those that start real servers (Chromium, Prometheus and Alertmanager, PostgreSQL and
 * Redis, cluster workers, nginx, gunicorn), pack and install the package, or spend their time in
 * promtool. .ci/run runs them once, on the primary Node version, and the portable set on every other
 * supported version (docs/node-versions.md).
 * A new suite that starts such a server: add its path here, or name it `*.server.test.ts`.
 * test/routing/flask-differential.test.ts starts gunicorn and still runs on every version: the path the
 * proxy judges is read by Node's own parsers, and #23 asks for the routing differential on each.
 */
const PRIMARY_ONLY = [
  '/test/browser/',
  '/test/stack/',
  '/test/stores/(postgres|redis)\\.test\\.ts$',
  '/test/cluster/',
  '/test/mixin/e2e\\.test\\.ts$',
  '/test/mixin/remote-write\\.test\\.ts$', // Prometheus agents, VictoriaMetrics, vmalert and Alertmanager
  '/test/mixin/clusters\\.test\\.ts$', // promtool and vmalert -dryRun check every backend's layout
  '/test/mixin/rules\\.test\\.ts$', // promtool runs the rule tests: the same on every Node
  '/test/mixin/inhibition\\.test\\.ts$', // a real Alertmanager: the same on every Node
  '/test/mixin/feature-alert-modules\\.test\\.ts$', // promtool runs its scenarios: the same on every Node
  '/test/observer/exporter-present\\.test\\.ts$',
  '/test/package/tarball\\.test\\.ts$',
  '/test/logs/nginx\\.test\\.ts$', // nginx itself is the subject: the same on every Node
  '/test/probe/real-servers\\.test\\.ts$', // nginx, Flask-CORS under gunicorn: the targets, not Node, vary
  '\\.server\\.test\\.ts$',
];

const TEST_SETS = { all: [], portable: PRIMARY_ONLY };
const set = process.env.CORS_SENTINEL_TESTS || 'all';
if (!(set in TEST_SETS)) throw new Error(`CORS_SENTINEL_TESTS must be one of ${Object.keys(TEST_SETS).join(', ')}, got ${JSON.stringify(set)}`);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Tests and the CLI's sources import the library by its package name; it resolves to the library's
  // source, so that a test process loads one copy of it (one registry, one class per error) whichever
  // path a module took to reach it.
  moduleNameMapper: {
    '^cors-sentinel$': '<rootDir>/packages/cors-sentinel/src/index.ts',
    '^cors-sentinel/fastify$': '<rootDir>/packages/cors-sentinel/src/adapters/fastify.ts',
    '^cors-sentinel/koa$': '<rootDir>/packages/cors-sentinel/src/adapters/koa.ts',
    '^cors-sentinel/adapter-kit$': '<rootDir>/packages/cors-sentinel/src/adapter-kit.ts',
    '^cors-sentinel/metrics$': '<rootDir>/packages/cors-sentinel/src/metrics-kit.ts',
    '^cors-sentinel/internal/(.*)$': '<rootDir>/packages/cors-sentinel/src/$1',
    '^cors-sentinel/(schema/.*|package\\.json)$': '<rootDir>/packages/cors-sentinel/$1',
  },
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...TEST_SETS[set]],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; `npm run typecheck` checks types once.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  testTimeout: 30000,
  // One worker per CPU (Jest's default keeps one CPU for itself): many suites spend most of their time
  // waiting on real servers (Prometheus' scaled windows, Chromium, gunicorn, a packed install), so a
  // second suite runs in that time. On two CPUs the primary run took 401 s instead of 753 s (2026-12-08).
  // .ci/run gives each of its two concurrent portable runs one worker (`--maxWorkers=1`).
  maxWorkers: '100%',
  // Under CI a server left open by a failed test must not turn a red run into a hang past CI's time
  // limit; locally Jest still reports it ("did not exit one second after…"), so leaks stay visible.
  forceExit: process.env.CI === 'true',
};
