/**
 * The content watcher's promise: once `watch()` has resolved, every save is mirrored — even one
 * made at once, in a folder created after start, by rename-into-place, or a deletion. Node's
 * recursive `fs.watch` arms subfolder watchers asynchronously on Linux, which lost such saves.
 */
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalS3, startLocalS3 } from '../../functions/local/s3.ts';
import { type ContentMirror, type ContentWatcher, createContentMirror } from '../../functions/local/watch.ts';

const CONTENT = 'herald-content';
const SITE = 'herald-site';
let work: string;
let s3: LocalS3;
let mirror: ContentMirror;
let watcher: ContentWatcher | undefined;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'herald-watch-'));
  s3 = await startLocalS3({ dir: join(work, 's3'), buckets: [CONTENT, SITE] });
  await mkdir(join(work, 'content', 'posts'), { recursive: true });
  await writeFile(join(work, 'content', 'site.yml'), 'title: T\n');
  await writeFile(join(work, 'content', 'posts', '2026-01-01-old.md'), '# old\n');
  mirror = createContentMirror({
    dir: join(work, 'content'),
    client: s3.client,
    contentBucket: CONTENT,
    siteBucket: SITE,
  });
  await mirror.sync();
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await s3.stop();
  await rm(work, { recursive: true, force: true });
});

async function keys(): Promise<string[]> {
  const out = await s3.client.send(new ListObjectsV2Command({ Bucket: CONTENT }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; ) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

const content = (...parts: string[]) => join(work, 'content', ...parts);

describe('the content watcher', () => {
  it('mirrors a post saved the instant watching is ready, in 20 rounds out of 20', async () => {
    let seen = 0;
    for (let round = 0; round < 20; round++) {
      watcher = await mirror.watch({ debounceMs: 20, rescanMs: 0 });
      const key = `posts/2026-02-${String(round + 1).padStart(2, '0')}-race.md`;
      await writeFile(content(key), `# round ${round}\n`);
      if (await eventually(async () => (await keys()).includes(key))) seen++;
      await watcher.close();
      watcher = undefined;
    }
    expect(seen).toBe(20);
  }, 120_000);

  it('mirrors a post in a folder created after watching started', async () => {
    watcher = await mirror.watch({ debounceMs: 20, rescanMs: 0 });
    await mkdir(content('posts', '2026', 'berlin'), { recursive: true });
    await writeFile(content('posts', '2026', 'berlin', '2026-03-01-nested.md'), '# nested\n');
    expect(
      await eventually(async () => (await keys()).includes('posts/2026/berlin/2026-03-01-nested.md')),
    ).toBe(true);
  });

  it('mirrors a post saved the way editors do: written to a temporary file, then renamed into place', async () => {
    watcher = await mirror.watch({ debounceMs: 20, rescanMs: 0 });
    await writeFile(content('posts', '.2026-03-02-renamed.md.tmp'), '# renamed\n');
    await rename(content('posts', '.2026-03-02-renamed.md.tmp'), content('posts', '2026-03-02-renamed.md'));
    expect(await eventually(async () => (await keys()).includes('posts/2026-03-02-renamed.md'))).toBe(true);
    await watcher.idle();
    expect(await keys()).not.toContain('posts/.2026-03-02-renamed.md.tmp');
  });

  it('removes a post deleted the instant watching is ready', async () => {
    watcher = await mirror.watch({ debounceMs: 20, rescanMs: 0 });
    await unlink(content('posts', '2026-01-01-old.md'));
    expect(await eventually(async () => !(await keys()).includes('posts/2026-01-01-old.md'))).toBe(true);
  });

  it('re-scans on its own, so a change no event reported is still mirrored', async () => {
    const deaf = createContentMirror({
      dir: content(),
      client: s3.client,
      contentBucket: CONTENT,
      siteBucket: SITE,
      watchFolder: async () => ({ close: async () => undefined }),
    });
    watcher = await deaf.watch({ debounceMs: 20, rescanMs: 100 });
    await writeFile(content('posts', '2026-03-03-quiet.md'), '# quiet\n');
    expect(await eventually(async () => (await keys()).includes('posts/2026-03-03-quiet.md'))).toBe(true);
  });

  it('without the re-scan, a change no event reported waits for the next event', async () => {
    const deaf = createContentMirror({
      dir: content(),
      client: s3.client,
      contentBucket: CONTENT,
      siteBucket: SITE,
      watchFolder: async () => ({ close: async () => undefined }),
    });
    watcher = await deaf.watch({ debounceMs: 20, rescanMs: 0 });
    await writeFile(content('posts', '2026-03-03-quiet.md'), '# quiet\n');
    expect(await eventually(async () => (await keys()).includes('posts/2026-03-03-quiet.md'), 500)).toBe(
      false,
    );
  });
});
