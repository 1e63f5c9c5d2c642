/**
 * The import graph's rules (dependency-cruiser; test/architecture.test.ts runs it in `npm test`).
 * Layers, bottom to top — an import may only go down or stay within its layer:
 *   0 pure:      engine · policy · origin · http · contract · stores · fetch-metadata/classify
 *   1 observers: metrics · logging · observer · evidence · report-only · instrumentation · fetch-metadata/protect
 *   2 port:      port · sentinel · fetch-metadata/sentinel
 *   3 adapters:  adapters · fetch-metadata/middleware · the entry points (index, adapter-kit, metrics-kit)
 *   4 tools:     everything in @cors-sentinel/cli (packages/cli)
 * and no file imports itself back through others (no cycles), type-only imports included.
 */
const LIB = '^packages/cors-sentinel/src/';
const LAYERS = [
  ['engine/', 'policy/', 'origin/', 'http/', 'contract\\.ts$', 'stores/', 'fetch-metadata/classify\\.ts$'],
  ['metrics/', 'logging/', 'observer/', 'evidence/', 'report-only\\.ts$', 'instrumentation\\.ts$', 'fetch-metadata/protect\\.ts$'],
  ['port\\.ts$', 'sentinel\\.ts$', 'fetch-metadata/sentinel\\.ts$'],
  ['adapters/', 'fetch-metadata/middleware\\.ts$', 'index\\.ts$', 'adapter-kit\\.ts$', 'metrics-kit\\.ts$'],
].map((parts) => `${LIB}(${parts.join('|')})`);
const NAMES = ['pure', 'observers', 'port', 'adapters'];
const CLI = '^packages/cli/src/';

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-climb-from-${NAMES[i]}`,
  comment: `the ${NAMES[i]} layer imports nothing above it (${NAMES.slice(i + 1).join(', ')}, tools)`,
  severity: 'error',
  from: { path: layer },
  to: { path: [...LAYERS.slice(i + 1), CLI] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no file reaches itself through its imports',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'library-never-reaches-tools',
      comment: 'cors-sentinel cannot import @cors-sentinel/cli',
      severity: 'error',
      from: { path: '^packages/cors-sentinel/' },
      to: { path: '^packages/cli/' },
    },
    {
      name: 'tools-use-the-package-name',
      comment: 'the CLI imports the library as cors-sentinel or cors-sentinel/internal/*, never by a relative path',
      severity: 'error',
      from: { path: CLI },
      to: { path: '^packages/cors-sentinel/', dependencyTypesNot: ['aliased-tsconfig-paths'] },
    },
    {
      name: 'every-library-file-has-a-layer',
      comment: 'a new folder or top-level file under packages/cors-sentinel/src/ must be given its layer here',
      severity: 'error',
      from: { path: LIB, pathNot: LAYERS },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)dist/' },
  },
};
