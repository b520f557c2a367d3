import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const rethrowCaught = { allowThrowingAny: true, allowThrowingUnknown: true };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // TypeScript (src/, test/, scripts/, vitest.config.ts — all in tsconfig.json) is linted with type information.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='process'][callee.property.name='exit']",
          message: 'Only src/cli/main.ts decides the exit code; throw a PaiDeployError instead.',
        },
      ],

      // Promises: every one is awaited, returned, or explicitly `void`ed; none is passed where a
      // synchronous callback or a boolean is expected; only thenables are awaited.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` (no await) inside try/catch/finally skips the catch and runs the finally too early.
      // Only that is checked: a redundant `return await` elsewhere is left alone.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // Throws and rejections carry Errors (PaiDeployError and friends), never strings or plain objects;
      // re-throwing what was caught (`unknown`) or an AbortSignal's reason (`any`) is fine.
      '@typescript-eslint/only-throw-error': ['error', rethrowCaught],
      '@typescript-eslint/prefer-promise-reject-errors': ['error', rethrowCaught],
      // A switch over a union names every member, or says in a `default` what happens to the rest.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    files: ['src/cli/main.ts', 'scripts/**', 'test/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Plain JavaScript stays untyped (no project service, no type-checked rules).
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
  },
);
