import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript build script without type declarations
import { compileCli } from '../../bin/compile-cli.mjs';
import { outputManifest } from '../helpers/output-manifest.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE_CONTENT = join(ROOT, 'content');
const GOLDEN = join(ROOT, 'tests', 'fixtures', 'golden');

let outDir: string;
let entry: string;

beforeAll(async () => {
  // Inside the repository, as the real cache is, so the compiled modules resolve node_modules.
  const cache = join(ROOT, 'node_modules', '.cache', 'herald');
  await mkdir(cache, { recursive: true });
  outDir = join(await mkdtemp(join(cache, 'test-')), 'cli');
  entry = fileURLToPath((await compileCli({ outDir })) as URL);
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(join(outDir, '..'), { recursive: true, force: true });
});

describe('the compiled CLI', () => {
  it('reads files next to its sources: the version from package.json', async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    const { stdout } = await run(process.execPath, [entry, '--version'], { cwd: ROOT });

    expect(stdout).toBe(`${version}\n`);
  });

  it('checks the sample content with Herald’s own templates', async () => {
    const { stdout } = await run(process.execPath, [entry, 'check', '--content', SAMPLE_CONTENT], {
      cwd: ROOT,
    });

    expect(stdout).toMatch(/^ok: 3 posts, \d+ pages, \d+ feeds, \d+ emails/);
  });

  it('lists every source file it was built from, so bin/herald.mjs can tell when to rebuild', async () => {
    const { inputs } = JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as {
      inputs: [string, number, number][];
    };

    const files = inputs.map(([file]) => file);
    expect(files).toContain(join(ROOT, 'functions', 'cli', 'build.ts'));
    expect(files).toContain(join(ROOT, 'functions', 'cli', 'subscribers.ts'));
    expect(files).toContain(join(ROOT, 'bin', 'compile-cli.mjs'));
    expect(files.some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('builds the golden corpus byte for byte as the TypeScript sources do', async () => {
    const out = join(outDir, '..', 'golden-out');

    await run(
      process.execPath,
      [entry, 'build', '--content', join(GOLDEN, 'content'), '--out', out, '--emails', 'all'],
      {
        cwd: ROOT,
      },
    );

    const pinned = JSON.parse(await readFile(join(GOLDEN, 'build-output.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(await outputManifest(out)).toEqual(pinned);
  });
});

describe('the compiled CLI’s help', () => {
  const RECORD_MODULES = join(ROOT, 'tests', 'helpers', 'record-modules.mjs');

  it.each([
    [[]],
    [['build']],
    [['check']],
    [['dev']],
    [['preview']],
    [['doctor']],
    [['subscribers']],
    [['subscribers', 'import']],
    [['campaigns']],
    [['campaign']],
    [['send-test']],
  ])(
    'herald %j --help loads no package from node_modules (no AWS SDK, mjml, juice, liquidjs…)',
    async (words) => {
      const dir = await mkdtemp(join(tmpdir(), 'herald-help-'));
      const log = join(dir, 'modules.txt');
      try {
        const { stdout } = await run(
          process.execPath,
          ['--import', RECORD_MODULES, entry, ...words, '--help'],
          {
            cwd: ROOT,
            env: { ...process.env, HERALD_MODULE_LOG: log },
          },
        );

        expect(stdout).toMatch(/^Usage: herald/);
        const loaded = (await readFile(log, 'utf8')).trim().split('\n');
        expect(loaded).toContain(pathToFileURL(entry).href);
        expect(
          loaded.filter(
            (url) => url.includes('/node_modules/') && !url.startsWith(pathToFileURL(outDir).href),
          ),
        ).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
