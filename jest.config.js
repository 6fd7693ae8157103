// Jest projects: `unit` (pure, no servers), `integration` (real Kafka, PostgreSQL, Redis; the global set-up
// starts what is missing through deploy/local) and `portal` (the React portal's component tests in jsdom).
const preset = require('./jest.preset');

module.exports = {
  projects: [
    {
      ...preset,
      displayName: 'unit',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{libs,apps,deploy,test,tools}/**/*.spec.ts'],
      // The portal's tests need a DOM: they run in the `portal` project.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/portal/'],
    },
    {
      ...preset,
      displayName: 'integration',
      rootDir: __dirname,
      testMatch: ['<rootDir>/{libs,apps,deploy,test,tools}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/integration-env.ts'],
    },
    {
      ...preset,
      displayName: 'portal',
      rootDir: __dirname,
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/apps/portal/src/**/*.spec.{ts,tsx}'],
      // The root tsconfig.json compiles JSX (react-jsx) to CommonJS for Jest.
      transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
      moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
      moduleNameMapper: { ...preset.moduleNameMapper, '\\.css$': '<rootDir>/apps/portal/test/style-stub.js' },
      setupFilesAfterEnv: ['<rootDir>/apps/portal/jest.setup.ts'],
    },
  ],
};
