// ESLint: typescript-eslint's recommended type-checked rules over everything we write in
// TypeScript; formatting is prettier's job (eslint-config-prettier turns the overlapping rules off).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/protocols/builtin.ts', 'scripts/', 'examples/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    rules: {
      // A `let` read (by a closure) before its one assignment says "not yet": const would throw there.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // As tsc's noUnusedLocals: a leading _ marks a binding kept on purpose (a rest sibling
      // omitting a key, a callback's unused argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Fakes and test servers implement Promise-returning interfaces and answer at once: `async`
    // keeps a throw a rejection, as the real implementation's would be.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  prettier,
);
