import type { Config } from 'jest';

/**
 * Unit specs sit beside the code (`src/**\/*.spec.ts`, and `scripts/**\/*.spec.ts` for the scripts'
 * pure helpers); e2e specs boot the real app on the machine's Postgres and Redis
 * (`test/**\/*.e2e-spec.ts`), each file on a database of its own.
 * The run is in band: Redis pub/sub channels are server-wide and SPEC-named, so two files
 * publishing events or commands at once would hear each other.
 */
const config: Config = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/scripts'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  // The benchmark's peer gateways are installed under scripts/bench/peers/<name>/node_modules: not ours to test or crawl.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/scripts/bench/peers/'],
  modulePathIgnorePatterns: ['<rootDir>/scripts/bench/peers/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
  testTimeout: 30_000,
  globalTeardown: '<rootDir>/test/support/open-handles.ts',
};

export default config;
