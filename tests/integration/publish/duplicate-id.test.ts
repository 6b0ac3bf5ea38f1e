/** A post whose `id:` another existing file already owns is refused; it never takes the other's place. */
import { describe, expect, it } from 'vitest';
import { publishMessage } from '../../../functions/app/publish-post.ts';
import { createPublishHarness, postSource, siteYaml } from './harness.ts';

// Fixed clock: six days after Pi Day, so a Pi Day recap is fresh (maxAgeDays 7).
const NOW = new Date('2026-03-20T12:00:00Z');
const ORIGINAL = 'posts/2026-03-14-pi-day.md';
const ORIGINAL_PAGE = '/2026/03/14/pi-day.html';
const COPY = 'posts/2026-03-16-copycat.md';
const COPY_PAGE = '/2026/03/16/copycat.html';
const ID = 'pi-day-2026';

async function harness() {
  const h = await createPublishHarness({ now: NOW });
  await h.upload('site.yml', siteYaml());
  return h;
}

const original = postSource({ title: 'Pi Day Meetup', extra: [`id: ${ID}`] });
const copy = postSource({ title: 'Copycat Takeover', extra: [`id: ${ID}`] });

/** The pages and feeds a reader sees, as text. */
async function readerView(h: Awaited<ReturnType<typeof harness>>) {
  const files = await h.siteFiles();
  const text = (path: string) => files.get(path)?.toString('utf8') ?? '';
  return {
    posts: [...files.keys()].filter((p) => p.startsWith('/2026/')).sort(),
    index: text('/index.html'),
    feeds: ['/feed.xml', '/atom.xml', '/feed.json'].map(text).join('\n'),
  };
}

describe('publish: a duplicate id', () => {
  it('refuses the newcomer, names both files and the id, and leaves the original as it was', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);
    const before = await h.siteFiles();
    await h.upload(COPY, copy);

    const outcomes = await publishMessage(
      h.deps,
      JSON.parse(h.s3Event('ObjectCreated:Put', COPY).Records[0]?.body ?? ''),
    );

    expect(outcomes).toEqual([
      expect.objectContaining({
        action: 'refused',
        key: COPY,
        postId: ID,
        owner: ORIGINAL,
        problem: expect.objectContaining({ file: COPY, field: 'id' }),
      }),
    ]);
    const logged = h.logs.find((l) => l.level === 'error' && l.message === 'duplicate post id');
    expect(logged?.context).toMatchObject({ key: COPY, postId: ID, owner: ORIGINAL });
    expect(String(logged?.context.text)).toContain(`${COPY}: id: id '${ID}' is already used by ${ORIGINAL}`);
    expect(await h.siteFiles()).toEqual(before);
    const view = await readerView(h);
    expect(view.posts).toEqual([ORIGINAL_PAGE]);
    expect(view.index).toContain('Pi Day Meetup');
    expect(view.feeds).not.toContain('Copycat');
    expect((await h.campaignList()).map((c) => c.postId)).toEqual([ID]);
    expect(h.fanout).toEqual([ID]);
  });

  it('refuses a draft newcomer too: the original stays on the site', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);

    const result = await h.publish(
      COPY,
      postSource({ title: 'Copycat Draft', extra: [`id: ${ID}`, 'draft: true'] }),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect((await readerView(h)).posts).toEqual([ORIGINAL_PAGE]);
    expect((await h.siteObject(ORIGINAL_PAGE))?.body).toContain('Pi Day Meetup');
  });

  it('changes nothing on the site when the refused file is removed', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);
    await h.publish(COPY, copy);
    const before = await h.siteFiles();

    const result = await h.unpublish(COPY);
    const again = await h.publish(COPY, copy);
    const removedAgain = await h.unpublish(COPY);

    for (const r of [result, again, removedAgain]) expect(r.batchItemFailures).toEqual([]);
    expect(await h.siteFiles()).toEqual(before);
    expect((await h.siteObject(ORIGINAL_PAGE))?.body).toContain('Pi Day Meetup');
    expect((await h.campaignList()).map((c) => c.postId)).toEqual([ID]);
  });

  it('publishes the refused newcomer in its place once the original file is removed, without mailing again', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);
    await h.publish(COPY, copy);
    const whileRefused = await readerView(h);

    const result = await h.unpublish(ORIGINAL);

    expect(result.batchItemFailures).toEqual([]);
    expect(whileRefused.posts).toEqual([ORIGINAL_PAGE]);
    const view = await readerView(h);
    expect(view.posts).toEqual([COPY_PAGE]);
    expect(view.index).toContain('Copycat Takeover');
    expect(view.index).not.toContain('Pi Day Meetup');
    expect(view.feeds).toContain('Copycat Takeover');
    expect((await h.campaignList()).map((c) => c.postId)).toEqual([ID]);
    expect(h.fanout).toEqual([ID]);
  });

  it('removes the original although the refused newcomer has become invalid meanwhile', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);
    await h.publish(COPY, copy);
    const broken = await h.publish(
      COPY,
      postSource({ title: 'Copycat', extra: [`id: ${ID}`, 'date: someday'] }),
    );

    const removal = await h.unpublish(ORIGINAL);
    const retry = await h.handler(h.s3Event('ObjectRemoved:Delete', ORIGINAL));

    expect(broken.batchItemFailures).toHaveLength(1);
    expect(removal.batchItemFailures).toHaveLength(1);
    expect(retry.batchItemFailures).toEqual([]);
    expect((await readerView(h)).posts).toEqual([]);
    expect((await h.siteObject('/index.html'))?.body).not.toContain('Pi Day Meetup');
  });

  it('publishes the newcomer once it takes another id, next to the original', async () => {
    const h = await harness();
    await h.publish(ORIGINAL, original);
    await h.publish(COPY, copy);

    const result = await h.publish(COPY, postSource({ title: 'Copycat Takeover', extra: ['id: copycat'] }));

    expect(result.batchItemFailures).toEqual([]);
    expect((await readerView(h)).posts).toEqual([ORIGINAL_PAGE, COPY_PAGE]);
    expect((await h.siteObject(ORIGINAL_PAGE))?.body).toContain('Pi Day Meetup');
    expect((await h.campaignList()).map((c) => c.postId).sort()).toEqual(['copycat', ID]);
  });
});

describe('publish: a rename that keeps its id', () => {
  const OLD = 'posts/2026-03-14-pi-day.md';
  const NEW = 'posts/2026-03-14-pi day recap.md';
  const NEW_PAGE = '/2026/03/14/pi-day-recap.html';
  const renamed = postSource({ title: 'Pi Day Meetup', extra: [`id: ${ID}`] });

  // Whether S3 already holds the new file and not the old one when the first event is handled
  // (both changes done before either event), or each event comes right after its own change.
  for (const settled of [true, false]) {
    for (const order of ['created first', 'removed first'] as const) {
      it(`moves the post to its new URL and never mails it twice (${order}, ${settled ? 'both changes done before the events' : 'each event after its change'})`, async () => {
        const h = await harness();
        await h.publish(OLD, original);

        const created = () => h.handler(h.s3Event('ObjectCreated:Put', NEW));
        const removed = () => h.handler(h.s3Event('ObjectRemoved:Delete', OLD));
        const results = [];
        if (settled) {
          await h.upload(NEW, renamed);
          await h.remove(OLD);
          results.push(
            ...(order === 'created first'
              ? [await created(), await removed()]
              : [await removed(), await created()]),
          );
        } else if (order === 'created first') {
          results.push(await h.publish(NEW, renamed), await h.unpublish(OLD));
        } else {
          results.push(await h.unpublish(OLD), await h.publish(NEW, renamed));
        }
        const lateCreate = await created();

        for (const r of [...results, lateCreate]) expect(r.batchItemFailures).toEqual([]);
        const view = await readerView(h);
        expect(view.posts).toEqual([NEW_PAGE]);
        expect(view.index).toContain(`href="${NEW_PAGE}"`);
        expect(view.index).not.toContain(ORIGINAL_PAGE);
        expect((await h.campaignList()).map((c) => c.postId)).toEqual([ID]);
        expect(h.fanout).toEqual([ID]);
      });
    }
  }
});
