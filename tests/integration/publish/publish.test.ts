import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createPublishHarness, postSource, siteYaml, sqsEvent } from './harness.ts';

// Fixed clock: six days after Pi Day, so a Pi Day recap is fresh (maxAgeDays 7).
const NOW = new Date('2026-03-20T12:00:00Z');
const PI_DAY = 'posts/2026-03-14-pi-day.md';
const PI_DAY_PAGE = '/2026/03/14/pi-day.html';

async function harness(newsletter: string[] = []) {
  const h = await createPublishHarness({ now: NOW });
  await h.upload('site.yml', siteYaml(newsletter));
  return h;
}

describe('publish: one campaign per post, ever', () => {
  it('mails once although the event comes three times and the post is re-uploaded and edited', async () => {
    const h = await harness();
    const source = postSource({ title: 'Pi Day Meetup' });
    await h.upload(PI_DAY, source);
    const event = h.s3Event('ObjectCreated:Put', PI_DAY);

    const results = [await h.handler(event), await h.handler(event), await h.handler(event)];
    results.push(await h.publish(PI_DAY, source));
    results.push(await h.publish(PI_DAY, postSource({ title: 'Pi Day Meetup (slides added)' })));

    for (const result of results) expect(result.batchItemFailures).toEqual([]);
    const campaigns = await h.campaignList();
    expect(campaigns.map((c) => [c.kind, c.postId])).toEqual([['campaign', '2026-03-14-pi-day']]);
    expect(h.fanout).toEqual(['2026-03-14-pi-day']);
    expect((await h.siteObject(PI_DAY_PAGE))?.body).toContain('Pi Day Meetup (slides added)');
    expect((await h.siteObject('/feed.xml'))?.body).toContain('Pi Day Meetup (slides added)');
  });

  for (const order of ['created first', 'removed first'] as const) {
    it(`moves a renamed post with a stable id to its new URL and never mails it twice (${order})`, async () => {
      // Published and mailed under the old name.
      const h = await harness();
      const oldKey = 'posts/2026-03-14-pi-day.md';
      const newKey = 'posts/2026-03-14-pi day recap.md';
      await h.publish(oldKey, postSource({ title: 'Pi Day', extra: ['id: pi-day-2026'] }));

      const renamed = postSource({ title: 'Pi Day', extra: ['id: pi-day-2026'] });
      const results =
        order === 'created first'
          ? [await h.publish(newKey, renamed), await h.unpublish(oldKey)]
          : [await h.unpublish(oldKey), await h.publish(newKey, renamed)];

      for (const result of results) expect(result.batchItemFailures).toEqual([]);
      const files = await h.siteFiles();
      const pages = [...files.keys()].filter((p) => p.startsWith('/2026/'));
      expect(pages).toEqual(['/2026/03/14/pi-day-recap.html']);
      const index = files.get('/index.html')?.toString('utf8') ?? '';
      expect(index).toContain('href="/2026/03/14/pi-day-recap.html"');
      expect(index).not.toContain('/2026/03/14/pi-day.html');
      expect((await h.campaignList()).map((c) => c.postId)).toEqual(['pi-day-2026']);
      expect(h.fanout).toEqual(['pi-day-2026']);
    });
  }
});

describe('publish: the mailing policy', () => {
  it('publishes an old post without mailing it and remembers not to mail it', async () => {
    // Dated more than maxAgeDays (7) before its first publication.
    const h = await harness();
    const key = 'posts/2026-01-10-winter-meetup.md';

    const result = await h.publish(key, postSource({ title: 'Winter Meetup' }));

    expect(result.batchItemFailures).toEqual([]);
    expect(await h.siteObject('/2026/01/10/winter-meetup.html')).toBeDefined();
    expect(await h.campaignList()).toEqual([
      expect.objectContaining({ kind: 'not-to-mail', postId: '2026-01-10-winter-meetup' }),
    ]);
    expect(h.fanout).toEqual([]);
  });

  it('mails an old post whose front matter says email: true', async () => {
    const h = await harness();

    await h.publish(
      'posts/2026-01-10-winter-meetup.md',
      postSource({ title: 'Winter', extra: ['email: true'] }),
    );

    expect((await h.campaignList()).map((c) => c.kind)).toEqual(['campaign']);
    expect(h.fanout).toEqual(['2026-01-10-winter-meetup']);
  });

  it('never mails a post dated before newsletter.since, even with email: true', async () => {
    const h = await harness(['since: 2026-03-15']);

    await h.publish(PI_DAY, postSource({ title: 'Pi Day', extra: ['email: true'] }));

    expect(await h.siteObject(PI_DAY_PAGE)).toBeDefined();
    expect((await h.campaignList()).map((c) => c.kind)).toEqual(['not-to-mail']);
    expect(h.fanout).toEqual([]);
  });

  it('treats a draft like a removal: off the site, not mailed', async () => {
    // One post published, then turned into a draft; another a draft from the start.
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day' }));
    const mailedBefore = [...h.fanout];

    const drafted = await h.publish(PI_DAY, postSource({ title: 'Pi Day', extra: ['draft: true'] }));
    const draft = await h.publish(
      'posts/2026-03-19-unfinished.md',
      postSource({ title: 'Unfinished', extra: ['published: false'] }),
    );

    expect([drafted.batchItemFailures, draft.batchItemFailures]).toEqual([[], []]);
    expect(await h.siteObject(PI_DAY_PAGE)).toBeUndefined();
    expect(await h.siteObject('/2026/03/19/unfinished.html')).toBeUndefined();
    const index = (await h.siteObject('/index.html'))?.body;
    expect(index).not.toContain('Pi Day');
    expect(index).not.toContain('Unfinished');
    expect(mailedBefore).toEqual(['2026-03-14-pi-day']);
    expect(h.fanout).toEqual(mailedBefore);
    expect((await h.campaignList()).map((c) => c.postId)).toEqual(['2026-03-14-pi-day']);
  });
});

describe('publish: drafts and state stay private', () => {
  it("writes a draft's title and body nowhere in the site bucket, only in the private state bucket", async () => {
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day' }));
    const secret = 'embargoed-sponsor-announcement-4711';

    const result = await h.publish(
      'posts/2026-03-19-secret.md',
      postSource({ title: `Draft ${secret}`, extra: ['draft: true'], body: `The ${secret} body.` }),
    );

    expect(result.batchItemFailures).toEqual([]);
    const site = await h.siteFiles();
    expect(site.size).toBeGreaterThan(0);
    for (const [path, body] of site) {
      expect(path, path).not.toMatch(/^\/?_herald\//);
      expect(body.toString('utf8'), path).not.toContain(secret);
    }
    const index = await h.s3.send(new GetObjectCommand({ Bucket: h.stateBucket, Key: 'index.json' }));
    expect(await index.Body?.transformToString()).toContain(secret);
  });

  it('moves state an older version kept under _herald/state/ in the site bucket to the state bucket', async () => {
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day' }));
    for (const key of ['index.json', 'posts/2026-03-14-pi-day.json']) {
      const got = await h.s3.send(new GetObjectCommand({ Bucket: h.stateBucket, Key: key }));
      await h.s3.send(
        new PutObjectCommand({
          Bucket: h.siteBucket,
          Key: `_herald/state/${key}`,
          Body: await got.Body?.transformToString(),
        }),
      );
      await h.s3.send(new DeleteObjectCommand({ Bucket: h.stateBucket, Key: key }));
    }

    const result = await h.publish('posts/2026-03-18-next.md', postSource({ title: 'Next Meetup' }));

    expect(result.batchItemFailures).toEqual([]);
    expect([...(await h.siteFiles()).keys()].filter((path) => path.includes('_herald'))).toEqual([]);
    const feed = (await h.siteObject('/feed.xml'))?.body;
    expect(feed).toContain('Pi Day');
    expect(feed).toContain('Next Meetup');
  });
});

describe('publish: future-dated posts', () => {
  it('publishes and mails nothing before the date, then both when the schedule fires', async () => {
    const h = await harness();
    const key = 'posts/2026-03-25-spring-meetup.md';
    await h.upload(key, postSource({ title: 'Spring Meetup' }));

    // The event (twice), then the clock reaches the post's date (midnight in Berlin).
    const early = [
      await h.handler(h.s3Event('ObjectCreated:Put', key)),
      await h.handler(h.s3Event('ObjectCreated:Put', key)),
    ];
    const filesBefore = await h.siteFiles();
    const campaignsBefore = await h.campaignList();
    const pending = h.scheduler.pending();
    h.setNow(new Date('2026-03-24T23:00:00Z'));
    await h.scheduler.fireDue();

    for (const result of early) expect(result.batchItemFailures).toEqual([]);
    expect(filesBefore.size).toBe(0);
    expect(campaignsBefore).toEqual([]);
    expect(pending).toEqual([
      expect.objectContaining({
        key,
        at: new Date('2026-03-24T23:00:00Z'),
        name: expect.stringMatching(/^post-/),
      }),
    ]);
    expect(await h.siteObject('/2026/03/25/spring-meetup.html')).toBeDefined();
    expect((await h.siteObject('/feed.xml'))?.body).toContain('Spring Meetup');
    expect((await h.campaignList()).map((c) => [c.kind, c.postId])).toEqual([
      ['campaign', '2026-03-25-spring-meetup'],
    ]);
    expect(h.scheduler.pending()).toEqual([]);
  });

  it('accepts the scheduled-publish message straight from the scheduler', async () => {
    const h = await harness();
    await h.upload(PI_DAY, postSource({ title: 'Pi Day' }));

    const result = await h.handler(sqsEvent(JSON.stringify({ herald: 'scheduled-publish', key: PI_DAY })));

    expect(result.batchItemFailures).toEqual([]);
    expect(await h.siteObject(PI_DAY_PAGE)).toBeDefined();
  });
});

describe('publish: removal', () => {
  it('unpublishes a removed post: its page, tag page and feed items go, nothing is mailed', async () => {
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day Meetup', tags: ['community', 'pi'] }));
    await h.publish('posts/2026-03-18-batching-night.md', postSource({ title: 'Batching Night' }));
    const campaignsBefore = (await h.campaignList()).length;

    const result = await h.unpublish(PI_DAY);

    expect(result.batchItemFailures).toEqual([]);
    const files = await h.siteFiles();
    expect(files.has(PI_DAY_PAGE)).toBe(false);
    expect(files.has('/tags/pi/index.html')).toBe(false);
    expect(files.has('/tags/pi/feed.xml')).toBe(false);
    for (const path of [
      '/index.html',
      '/tags/index.html',
      '/tags/community/index.html',
      '/feed.xml',
      '/atom.xml',
      '/feed.json',
      '/sitemap.xml',
      '/tags/community/feed.xml',
    ]) {
      expect(files.get(path)?.toString('utf8'), path).not.toContain('Pi Day');
    }
    expect(files.get('/index.html')?.toString('utf8')).toContain('Batching Night');
    expect((await h.campaignList()).length).toBe(campaignsBefore);
  });

  it('ignores a late removal event when the post was uploaded again meanwhile', async () => {
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day Meetup' }));

    // The object is there, but a removal event arrives.
    const result = await h.handler(h.s3Event('ObjectRemoved:Delete', PI_DAY));

    expect(result.batchItemFailures).toEqual([]);
    expect(await h.siteObject(PI_DAY_PAGE)).toBeDefined();
  });

  it('ignores the S3 test event', async () => {
    const h = await harness();

    const result = await h.handler(sqsEvent(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' })));

    expect(result.batchItemFailures).toEqual([]);
  });
});

describe('publish: invalid content', () => {
  it('fails the record, logs file, line and field, and writes and mails nothing', async () => {
    // The title is missing.
    const h = await harness();
    const source = [
      '---',
      'layout: post',
      'tags: [community]',
      'date: 2026-03-14 19:00',
      '---',
      '',
      'Body.',
      '',
    ].join('\n');
    await h.upload(PI_DAY, source);
    const event = h.s3Event('ObjectCreated:Put', PI_DAY);

    const result = await h.handler(event);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const invalid = h.logs.find((l) => l.message === 'invalid content');
    expect(invalid?.context).toMatchObject({
      key: PI_DAY,
      problems: [expect.objectContaining({ file: PI_DAY, field: 'title', line: expect.any(Number) })],
    });
    expect(await h.siteFiles()).toEqual(new Map());
    expect(await h.campaignList()).toEqual([]);
  });

  it('keeps the published page when an edit breaks the post', async () => {
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day Meetup' }));

    const result = await h.publish(PI_DAY, postSource({ title: 'Pi Day', extra: ['date: someday'] }));

    expect(result.batchItemFailures).toHaveLength(1);
    expect((await h.siteObject(PI_DAY_PAGE))?.body).toContain('Pi Day Meetup');
  });

  it('refuses a post whose permalink would overwrite another post', async () => {
    // Two files, one page path.
    const h = await harness();
    await h.publish(PI_DAY, postSource({ title: 'Pi Day Meetup' }));

    const result = await h.publish(
      'posts/2026-03-15-other.md',
      postSource({ title: 'Other', extra: ['permalink: /2026/03/14/pi-day.html'] }),
    );

    expect(result.batchItemFailures).toHaveLength(1);
    expect(h.logs.find((l) => l.message === 'invalid content')?.context).toMatchObject({
      problems: [expect.objectContaining({ file: 'posts/2026-03-15-other.md', field: 'permalink' })],
    });
    expect((await h.siteObject(PI_DAY_PAGE))?.body).toContain('Pi Day Meetup');
  });
});
