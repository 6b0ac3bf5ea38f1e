import { defineConfig } from 'vitest/config';

// Two projects so the local AWS stand-ins (tests/setup/local-services.ts) start only when a test
// that needs them is queued: Vitest runs a project's globalSetup only if that project has tests.
const needsLocalServices = ['tests/integration/**/*.test.ts', 'tests/browser/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...needsLocalServices],
        },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: needsLocalServices,
          globalSetup: ['tests/setup/local-services.ts'],
        },
      },
    ],
  },
});
