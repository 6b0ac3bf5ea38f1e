import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBuild } from '../../functions/cli/build.ts';
import { outputManifest } from '../helpers/output-manifest.ts';

// Pins every byte `herald build` writes for a fixed corpus (the benchmark's generator plus posts
// with quotes, ampersands, HTML in titles, embeds, an excerpted email, drafts and email: false),
// so speed work cannot change the output unnoticed. After a deliberate output change, update the
// manifest with `npx vitest run tests/cli/golden-build.test.ts -u` and say why in the commit.
const GOLDEN_CONTENT = new URL('../fixtures/golden/content/', import.meta.url).pathname;
const MANIFEST = '../fixtures/golden/build-output.json';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-golden-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('herald build output (golden)', () => {
  it('writes the same files, byte for byte, as the pinned build of the golden corpus', async () => {
    const out = join(work, 'dist');

    await runBuild({ contentDir: GOLDEN_CONTENT, outDir: out });

    const manifest = await outputManifest(out);
    await expect(`${JSON.stringify(manifest, null, 2)}\n`).toMatchFileSnapshot(MANIFEST);
  });
});
