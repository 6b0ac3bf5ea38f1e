import { describe, expect, it } from 'vitest';
import { publishMessage as runPublishMessage } from '../../../functions/app/publish-post.ts';
import { DEFAULT_TEMPLATES_DIR } from '../../../functions/cli/build.ts';
import { createPublishHarness, encodeS3Key } from './harness.ts';
import { seedPublishedSite } from './seed.ts';

const FEED_LIMIT = 20; // bench/corpus.ts site.yml

describe('publish: incremental', () => {
  it('publishes one post into a site of 1,000 reading O(feed limit) objects, not 1,000', async () => {
    // The state of 1,000 published posts (index + fragments) and one new post.
    const h = await createPublishHarness({ now: new Date('2026-12-01T12:00:00Z') });
    await seedPublishedSite({
      count: 1000,
      s3: h.s3,
      contentBucket: h.contentBucket,
      site: h.deps.site,
      templatesDir: DEFAULT_TEMPLATES_DIR,
      firstPublishedAt: new Date('2026-11-30T12:00:00Z'),
    });
    const key = 'posts/2026-12-01-winter-opening.md';
    const tags = ['berlin', 'kv-cache'];
    await h.upload(
      key,
      [
        '---',
        'title: "Winter Opening"',
        `tags: [${tags.join(', ')}]`,
        '---',
        '',
        'We opened the winter season.',
        '',
      ].join('\n'),
    );
    const readsBefore = h.counter.reads;

    const [outcome] = await runPublishMessage(h.deps, {
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: h.contentBucket }, object: { key: encodeS3Key(key) } },
        },
      ],
    });

    expect(outcome).toMatchObject({ action: 'published', postId: '2026-12-01-winter-opening' });
    const reads = h.counter.reads - readsBefore;
    // site config + source + index, then fragments: the neighbour's page and the newest posts of
    // the site feed and of each of the post's tag feeds.
    expect(reads).toBeLessThanOrEqual(3 + 1 + FEED_LIMIT * (1 + tags.length));
    expect(reads).toBeLessThan(100);
    if (outcome?.action !== 'published') throw new Error('not published');
    expect(outcome.plan.full).toBe(false);
    expect(outcome.plan.postPages).toEqual(['2026-12-01-winter-opening', '2026-11-30-meetup-0']);
    expect(outcome.plan.siteFeeds).toBe(true);
    expect([...outcome.plan.tagFeeds].sort()).toEqual(tags);
    const feed = (await h.siteObject('/feed.xml'))?.body ?? '';
    expect(feed.match(/<item>/g)).toHaveLength(FEED_LIMIT);
    expect(feed).toContain('Winter Opening');
    expect((await h.siteObject('/index.html'))?.body.match(/<article/g)?.length).toBe(1001);
  }, 120_000);
});
