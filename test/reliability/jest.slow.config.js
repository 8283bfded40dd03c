// The slow reliability scenarios (crashes of real processes, 10,000 jobs): not part of `npm test`.
// Run: npx jest -c test/reliability/jest.slow.config.js --runInBand
const { join } = require('node:path');
const base = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: join(__dirname, '..', '..'),
  roots: ['<rootDir>/test/reliability'],
  testMatch: ['**/*.slow-spec.ts'],
  testTimeout: 600_000,
};
