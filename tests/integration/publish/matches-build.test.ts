import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeCorpus } from '../../../bench/corpus.ts';
import { runBuild } from '../../../functions/cli/build.ts';
import { createPublishHarness, type PublishHarness, uploadContentFolder } from './harness.ts';

const SAMPLE = new URL('../../../content/', import.meta.url).pathname;
// After every sample post's date, so all are published at once rather than scheduled.
const NOW = new Date('2026-11-20T12:00:00Z');

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-publish-test-'));
  dirs.push(dir);
  return dir;
}

/** Every file `herald build` writes under site/, except assets (the deployment copies those). */
async function fullBuild(contentDir: string): Promise<Map<string, Buffer>> {
  const out = await tempDir();
  // The publish Lambda reads posts from S3, where there is no git history to date `updated` from.
  await runBuild({ contentDir, outDir: out, maxEmails: 0, gitTimes: false });
  const files = new Map<string, Buffer>();
  const site = join(out, 'site');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(`/${relative(site, path)}`, await readFile(path));
    }
  };
  await walk(site);
  for (const path of files.keys()) if (path.startsWith('/assets/')) files.delete(path);
  return files;
}

function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [path, body] of expected) {
    // Compared as text so a difference shows as a readable diff naming the file.
    expect({ path, body: actual.get(path)?.toString('utf8') }).toEqual({ path, body: body.toString('utf8') });
  }
}

async function publishAll(h: PublishHarness, keys: string[]): Promise<void> {
  for (const key of keys) {
    const result = await h.handler(h.s3Event('ObjectCreated:Put', key));
    const errors = JSON.stringify(h.logs.filter((l) => l.level === 'error'));
    expect(result.batchItemFailures, `${key}: ${errors}`).toEqual([]);
  }
}

describe('publish, one post at a time, matches a full build', () => {
  it('writes the same pages, feeds and sitemap as `herald build` of the same content', async () => {
    // The sample content in the content bucket; posts published oldest last.
    const h = await createPublishHarness({ now: NOW });
    const keys = await uploadContentFolder(h, SAMPLE);

    await publishAll(h, [...keys].reverse());

    expectSameFiles(await h.siteFiles(), await fullBuild(SAMPLE));
  });

  it('still matches after a post is removed and another edited (tags and summary changed)', async () => {
    // Everything published, then a local copy of the content changed the same way.
    const h = await createPublishHarness({ now: NOW });
    const keys = await uploadContentFolder(h, SAMPLE);
    await publishAll(h, keys);
    const local = await tempDir();
    await cp(SAMPLE, local, { recursive: true });
    const [removed, edited] = keys as [string, string];
    const original = await readFile(join(SAMPLE, edited), 'utf8');
    const changed = original
      .replace(/^tags: .*$/m, 'tags: [berlin, new-tag]')
      .replace(/^summary: .*$/m, 'summary: "A shorter summary."');
    await rm(join(local, removed));
    await writeFile(join(local, edited), changed);

    const gone = await h.unpublish(removed);
    const updated = await h.publish(edited, changed);

    expect(gone.batchItemFailures).toEqual([]);
    expect(updated.batchItemFailures, JSON.stringify(h.logs.filter((l) => l.level === 'error'))).toEqual([]);
    expectSameFiles(await h.siteFiles(), await fullBuild(local));
  });

  it('matches for a 45-post corpus published in shuffled order with removals (feed windows move)', async () => {
    // More posts than the feed limit (20), so feeds drop and regain posts as they change.
    const corpus = await tempDir();
    await writeCorpus(corpus, 45);
    const h = await createPublishHarness({ now: new Date('2026-12-01T12:00:00Z') });
    const keys = await uploadContentFolder(h, corpus);
    // A fixed shuffle: every 7th key first, then the rest, newest-first and oldest-first mixed.
    const shuffled = [...keys.filter((_, i) => i % 7 === 3), ...keys.filter((_, i) => i % 7 !== 3).reverse()];
    const removed = [keys[44], keys[30], keys[2]] as string[];

    await publishAll(h, shuffled);
    for (const key of removed) {
      const result = await h.unpublish(key);
      expect(result.batchItemFailures).toEqual([]);
      await rm(join(corpus, key));
    }

    expectSameFiles(await h.siteFiles(), await fullBuild(corpus));
  }, 120_000);

  it('serves pages and feeds with their content type and a five-minute cache', async () => {
    const h = await createPublishHarness({ now: NOW });
    const keys = await uploadContentFolder(h, SAMPLE);

    await publishAll(h, keys);

    expect(await h.siteObject('/index.html')).toMatchObject({
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'public, max-age=300',
    });
    expect(await h.siteObject('/feed.xml')).toMatchObject({
      contentType: 'application/rss+xml; charset=utf-8',
      cacheControl: 'public, max-age=300',
    });
    expect(await h.siteObject('/tags/berlin/feed.json')).toMatchObject({
      contentType: 'application/feed+json; charset=utf-8',
      cacheControl: 'public, max-age=300',
    });
    expect(await h.siteObject('/style.css')).toMatchObject({ contentType: 'text/css; charset=utf-8' });
  });
});
