import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isDraftKey } from '../../../functions/app/publish-post.ts';
import { createPublishHarness, type PublishHarness } from './harness.ts';

const NOW = new Date('2026-03-20T12:00:00Z');

const config = (showDrafts: boolean) => `title: Draft Club
url: https://drafts.test
show_drafts: ${showDrafts}
defaults:
  - scope: { type: drafts }
    values: { venue: Back Room }
herald:
  newsletter:
    from_address: club@drafts.test
    postal_address: 1 Draft Road
`;

const DRAFT = '---\ntitle: Half Done\n---\n\nStill writing this one, at {{ page.venue }}.\n';

async function uploadedAt(h: PublishHarness, key: string): Promise<Date> {
  const head = await h.s3.send(new HeadObjectCommand({ Bucket: h.contentBucket, Key: key }));
  if (!head.LastModified) throw new Error('s3rver gave no LastModified');
  return head.LastModified;
}

describe('publish: Jekyll drafts (herald dev --drafts turns show_drafts on)', () => {
  it('publishes a _drafts/ post dated by its upload time, with the drafts defaults, when show_drafts is on', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', config(true));

    await h.upload('_drafts/half-done.md', DRAFT);
    const at = await uploadedAt(h, '_drafts/half-done.md');
    h.setNow(new Date(at.getTime() + 60_000));

    const result = await h.handler(h.s3Event('ObjectCreated:Put', '_drafts/half-done.md'));

    expect(result.batchItemFailures).toEqual([]);
    const day = at.toISOString().slice(0, 10).replace(/-/g, '/');
    const page = (await h.siteObject(`/${day}/half-done.html`))?.body ?? '';
    expect(page).toContain('Still writing this one, at Back Room.');
  });

  it('ignores _drafts/ when show_drafts is off', async () => {
    const h = await createPublishHarness({ now: NOW });
    await h.upload('_config.yml', config(false));

    const result = await h.publish('_drafts/half-done.md', DRAFT);

    expect(result.batchItemFailures).toEqual([]);
    expect([...(await h.siteFiles()).keys()]).toEqual([]);
    expect(isDraftKey('_drafts/half-done.md')).toBe(true);
  });
});
