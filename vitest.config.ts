import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Every temporary file of a run — the tests', the CLI processes they start, a build's kept output next
// to its folder — goes under one folder, removed when the run ends: a test that forgets its own (or
// cannot know of a sibling a build leaves) no longer litters the machine's temp folder run after run.
// Test workers are started after this file is read, so they and their children inherit TMPDIR.
if (!process.env.HERALD_TEST_TMPDIR) {
  const runTmp = mkdtempSync(join(tmpdir(), 'herald-test-run-'));
  process.env.HERALD_TEST_TMPDIR = runTmp;
  process.env.TMPDIR = runTmp;
  process.on('exit', () => rmSync(runTmp, { recursive: true, force: true }));
}

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
