// Lint: no floating promises anywhere; no Node builtins or I/O modules in workflows/ (determinism); no import
// cycles anywhere, no import up the layers; no function in api/ over 120 lines; no UTC date arithmetic outside the
// office calendar.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import { builtinModules } from 'node:module';

const ALLOWED_NODE_BUILTINS = new Set(['assert']);
const IO_MODULES = ['pg', 'kysely', 'fastify', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default tseslint.config(
  // The console (console/) is Vue: typechecked by vue-tsc (npm run console:typecheck), formatted by Prettier.
  { ignores: ['node_modules/**', '.data/**', 'bench/results/**', 'console/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Import cycles: a module that another imports never imports it back, directly or through others.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Resolves as tsconfig.json does ("moduleResolution": "Bundler"): extensionless, a folder's index.ts.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] })],
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
    },
    rules: {
      // Packages are not followed: a cycle inside one is not ours (and its bundles are not parsed). This rule skips
      // `import type` whatever its options (import-x 4.x); test/layers.test.ts finds the circles through those too.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // The layers (issue 22): an import goes down, type imports included (this rule checks them); test/layers.test.ts
      // checks every arrow against the whole order.
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            { target: './api', from: './activities', message: 'api/ reads db/queries, never activities/' },
            { target: './activities', from: ['./worker', './workflows', './services'], message: 'activities/ sit below worker/, workflows/ and services/' },
            { target: ['./api/main.ts', './worker/main.ts'], from: './scripts', message: 'a main process uses runtime/, never scripts/' },
            {
              target: './processes',
              from: ['./db', './temporal', './runtime', './activities', './workflows', './services', './worker', './api', './scripts', './bench'],
              message: 'processes/ import only domain/ and processes/',
            },
            {
              target: './domain',
              from: [
                './processes',
                './contract',
                './db',
                './temporal',
                './runtime',
                './activities',
                './workflows',
                './services',
                './worker',
                './api',
                './scripts',
                './bench',
              ],
              message: 'domain/ imports only domain/',
            },
          ],
        },
      ],
    },
  },
  {
    // Dates are office dates in Asia/Shanghai (DOMAIN.md): UTC's day or month is a day off between 00:00 and 08:00.
    files: ['**/*.ts'],
    ignores: ['domain/calendar.ts', 'test/**', 'bench/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['getUTC', 'setUTC'].map((prefix) => ({
          selector: `CallExpression[callee.property.name=/^${prefix}/]`,
          message: `${prefix}*: UTC date arithmetic; use domain/calendar.ts (office dates in Asia/Shanghai)`,
        })),
        {
          selector: "CallExpression[callee.property.name=/^(slice|substring|substr)$/][callee.object.callee.property.name='toISOString']",
          message: "toISOString().slice(): UTC's date; use domain/calendar.ts (officeDay, officeMonth)",
        },
      ],
    },
  },
  {
    files: ['api/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 120 }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules.filter((m) => !ALLOWED_NODE_BUILTINS.has(m)).flatMap((m) => [m, `node:${m}`]), ...IO_MODULES].map((name) => ({
            name,
            message: 'workflows/ holds deterministic code only: no Node builtins or I/O (activities do that)',
            allowTypeImports: true,
          })),
          patterns: [{ group: ['../activities/*', '!../activities/*.ts'], message: 'import activities as types only', allowTypeImports: true }],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
);
