import { describe, expect, it } from 'vitest';
import { createPublishHarness } from './harness.ts';

const NOW = new Date('2026-03-20T12:00:00Z');

const CONFIG = `title: Archive Club
url: https://archive.test
herald:
  newsletter:
    from_address: club@archive.test
    postal_address: 1 Archive Road
`;

const ARCHIVE = [
  '---',
  'title: Archive',
  '---',
  '',
  'Every recap so far:',
  '',
  '{% for p in site.posts %}- {{ p.title }} ({{ site.tags.size }} tags)',
  '{% endfor %}',
  '',
].join('\n');

const plain = (title: string, tag: string) =>
  `---\ntitle: ${title}\ntags: [${tag}]\n---\n\nAbout ${title}.\n`;

describe('publish: Jekyll posts that list other posts', () => {
  it('renders a post that lists site.posts again when another post is published or removed, and only it', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', CONFIG);
    await h.publish('_posts/2026-03-01-archive.md', ARCHIVE);
    await h.publish('_posts/2026-03-02-first.md', plain('First', 'gpu'));
    const page = async () => (await h.siteObject('/2026/03/01/archive.html'))?.body ?? '';
    const afterFirst = await page();

    const published = await h.publish('_posts/2026-03-10-second.md', plain('Second', 'tpu'));

    expect(published.batchItemFailures).toEqual([]);
    expect(afterFirst).toContain('First (1 tags)');
    expect(afterFirst).not.toContain('Second');
    const afterSecond = await page();
    expect(afterSecond).toContain('Second (2 tags)');
    expect(afterSecond).toContain('First (2 tags)');
    const feed = (await h.siteObject('/atom.xml'))?.body ?? '';
    expect(feed).toContain('Second (2 tags)');
    const refreshed = h.logs
      .filter((l) => l.message === 'listing posts refreshed')
      .map((l) => l.context.posts);
    expect(refreshed).toEqual([['2026-03-01-archive'], ['2026-03-01-archive']]);

    const removed = await h.unpublish('_posts/2026-03-10-second.md');

    expect(removed.batchItemFailures).toEqual([]);
    const afterRemoval = await page();
    expect(afterRemoval).not.toContain('Second');
    expect(afterRemoval).toContain('First (1 tags)');
  });
});
