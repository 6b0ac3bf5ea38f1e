import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareBuild } from '../../../functions/cli/build.ts';
import { createPublishHarness, type PublishHarness } from './harness.ts';

const NOW = new Date('2026-03-20T12:00:00Z');

const FILES: Record<string, string> = {
  '_config.yml': `title: Feed Club
url: https://feeds.test
baseurl: /club
plugins: [jekyll-feed]
feed:
  path: /atom-feed.xml
  posts_limit: 2
  categories: [talks, news]
  tags:
    except: [private]
herald:
  newsletter:
    from_address: club@feeds.test
    postal_address: 1 Feed Road
`,
  '_posts/2026-03-01-first.md':
    '---\ntitle: First\ncategories: [talks]\ntags: [gpu, berlin]\n---\n\nThe first.\n',
  '_posts/2026-03-05-second.md':
    '---\ntitle: Second\ncategory: news\ntags: [gpu, private]\n---\n\nThe second.\n',
  'talks/_posts/2026-03-09-third.md': '---\ntitle: Third\ntags: [lisbon]\n---\n\nThe third, a talk.\n',
  '_posts/2026-03-12-fourth.md': '---\ntitle: Fourth\ncategories: talks\ntags: [gpu]\n---\n\nThe fourth.\n',
};

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function contentFolder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-jekyll-feeds-'));
  dirs.push(dir);
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
  return dir;
}

/** The extra Atom feeds `herald build` writes for these files. */
async function builtExtraFeeds(files: Record<string, string>): Promise<Map<string, string>> {
  const build = await prepareBuild({ contentDir: await contentFolder(files), gitTimes: false });
  const extra = build.siteFiles.filter((f) => f.path === '/atom-feed.xml' || f.path.startsWith('/feed/'));
  return new Map(extra.map((f) => [f.path, String(f.body)]));
}

async function publishedExtraFeeds(h: PublishHarness): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [path, body] of await h.siteFiles()) {
    const sitePath = path.replace(/^\/club/, '');
    if (sitePath === '/atom-feed.xml' || sitePath.startsWith('/feed/'))
      out.set(sitePath, body.toString('utf8'));
  }
  return out;
}

describe('publish: jekyll-feed’s extra feeds', () => {
  it('writes the same feed.path, category and tag feeds as `herald build`, one post at a time', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', FILES['_config.yml'] ?? '');

    for (const [key, body] of Object.entries(FILES)) {
      if (key === '_config.yml') continue;
      const result = await h.publish(key, body);
      expect(result.batchItemFailures, key).toEqual([]);
    }

    const published = await publishedExtraFeeds(h);
    const built = await builtExtraFeeds(FILES);
    expect([...published.keys()].sort()).toEqual([
      '/atom-feed.xml',
      '/feed/by_tag/berlin.xml',
      '/feed/by_tag/gpu.xml',
      '/feed/by_tag/lisbon.xml',
      '/feed/news.xml',
      '/feed/talks.xml',
    ]);
    expect([...published.keys()].sort()).toEqual([...built.keys()].sort());
    for (const [path, body] of built) expect({ path, body: published.get(path) }).toEqual({ path, body });
  });

  it('drops the feed of a tag no post carries any more when its post is removed', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', FILES['_config.yml'] ?? '');
    for (const [key, body] of Object.entries(FILES)) if (key !== '_config.yml') await h.publish(key, body);

    const result = await h.unpublish('talks/_posts/2026-03-09-third.md');

    expect(result.batchItemFailures).toEqual([]);
    const published = await publishedExtraFeeds(h);
    const { 'talks/_posts/2026-03-09-third.md': _gone, ...rest } = FILES;
    const built = await builtExtraFeeds(rest);
    expect(published.has('/feed/by_tag/lisbon.xml')).toBe(false);
    expect([...published.keys()].sort()).toEqual([...built.keys()].sort());
    for (const [path, body] of built) expect({ path, body: published.get(path) }).toEqual({ path, body });
  });
});
