/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are reported by `tsc --noEmit` before jest starts, so ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  // Tests share one Redis server but each uses its own key prefix, so files can run in parallel.
  maxWorkers: 2,
};
