import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBuild } from '../../functions/cli/build.ts';

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

/** MIME boundaries are random per message; everything else in a preview `.eml` is stable. */
function normalise(path: string, body: Buffer): Buffer {
  if (!path.endsWith('.eml')) return body;
  return Buffer.from(body.toString('utf8').replace(/--_NmP-[0-9a-f]+-Part_/g, '--_NmP-BOUNDARY-Part_'));
}

async function outputManifest(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
  const manifest: Record<string, string> = {};
  for (const path of paths) {
    const body = normalise(path, await readFile(join(dir, path)));
    manifest[path] = createHash('sha256').update(body).digest('hex');
  }
  return manifest;
}

describe('herald build output (golden)', () => {
  it('writes the same files, byte for byte, as the pinned build of the golden corpus', async () => {
    const out = join(work, 'dist');

    await runBuild({ contentDir: GOLDEN_CONTENT, outDir: out });

    const manifest = await outputManifest(out);
    await expect(`${JSON.stringify(manifest, null, 2)}\n`).toMatchFileSnapshot(MANIFEST);
  });
});
