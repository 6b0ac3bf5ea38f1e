/** `herald dev` / `npm start` show a post refused for a duplicate id, and publish it once the owner is removed. */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalRuntime } from '../../functions/local/runtime.ts';

const OWNER = 'posts/2026-09-24-berlin-serving-night.md';
const COPY = 'posts/2026-09-25-copy.md';
const ID = '2026-09-24-berlin-serving-night';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-duplicate-id-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('local runtime: a duplicate id', () => {
  it('prints the refusal naming both files and the id, keeps the original, and publishes the copy once the original is removed', async () => {
    const content = join(work, 'content');
    await cp(new URL('../../content/', import.meta.url), content, { recursive: true });
    await writeFile(
      join(content, COPY),
      `---\nlayout: post\ntitle: "Copycat Night"\nid: ${ID}\n---\n\nA copy that claims another post's id.\n`,
    );
    const lines: string[] = [];
    const runtime = await startLocalRuntime({
      contentDir: content,
      dataDir: join(work, 'data'),
      port: 0,
      watch: false,
      now: () => new Date('2026-12-01T12:00:00Z'),
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    try {
      await runtime.idle();
      const page = async (path: string) => (await fetch(new URL(path, runtime.siteUrl))).status;
      const atStart = [...lines];
      const pagesAtStart = [
        await page('2026/09/24/berlin-serving-night.html'),
        await page('2026/09/25/copy.html'),
      ];

      await rm(join(content, OWNER));
      await runtime.syncContent();
      await runtime.idle();

      const text = atStart.join('\n');
      expect(text).toContain(`${COPY} was not published; fix it and save again`);
      expect(text).toContain(`  ${COPY}: id: id '${ID}' is already used by ${OWNER}`);
      expect(atStart.some((l) => l.includes('1 not published'))).toBe(true);
      expect(pagesAtStart).toEqual([200, 404]);
      expect(lines.slice(atStart.length)).toContainEqual(
        expect.stringMatching(/^published posts\/2026-09-25-copy\.md/),
      );
      expect([
        await page('2026/09/24/berlin-serving-night.html'),
        await page('2026/09/25/copy.html'),
      ]).toEqual([404, 200]);
    } finally {
      await runtime.stop();
    }
  });
});
