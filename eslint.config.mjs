// The lint in `npm test` (`npm run lint`): typescript-eslint's type-aware recommended rules over both
// packages' sources, with the type information of the root tsconfig.json.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // The root tsconfig.json: the one program `npm run typecheck` checks, with cors-sentinel mapped to its source.
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks what a destructuring leaves out on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An `async` method without `await` is how an interface's promise-returning method turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
