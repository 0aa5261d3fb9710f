// Tests run TypeScript through SWC (types are checked by `npm run build`, which `pretest` runs first).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  // Real processes and real sockets: give each test room, and never let one hang the run.
  testTimeout: 60000,
  maxWorkers: 2,
};
