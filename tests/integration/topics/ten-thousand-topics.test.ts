import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCampaignStore } from '../../../functions/adapters/campaign-store.ts';
import { createDeliveryAudience } from '../../../functions/adapters/delivery-audience.ts';
import { createSubscriberStore } from '../../../functions/adapters/subscriber-store.ts';
import type { ReadCounter } from '../../../functions/adapters/topic-audience.ts';
import { runFanout } from '../../../functions/app/fan-out.ts';
import type { DeliveryMessage } from '../../../functions/app/send-batch.ts';
import { campaignDelivery, startCampaign } from '../../../functions/app/start-campaign.ts';
import type { Topic } from '../../../functions/core/topics.ts';
import { localDynamoClient } from '../../../functions/local/services.ts';
import { makePost, makeSite } from '../../helpers/fixtures.ts';
import { freshTables, makeRenderedEmail } from '../delivery/harness.ts';
import { type SeededReader, seededRandom, seedReaders } from './seed.ts';

const COUNT = 10_000;
const NOW = new Date('2026-11-30T12:00:00.000Z');
const IDS = ['berlin', 'lisbon', 'seoul', 'kv-cache', 'quantization'];
const TOPICS: Topic[] = IDS.map((id) => ({ id, name: id, tags: [id] }));
const site = makeSite({
  newsletter: { ...makeSite().newsletter, topics: TOPICS },
});

const dynamo = localDynamoClient(inject('dynamoEndpoint'));
let tables: { campaignTable: string; subscriberTable: string };
let readers: SeededReader[];

beforeAll(async () => {
  tables = await freshTables(dynamo);
  const random = seededRandom(15);
  readers = await seedReaders(
    dynamo,
    tables.subscriberTable,
    COUNT,
    (i) => {
      if (i % 5 === 0) return undefined;
      const picked = IDS.filter(() => random() < 0.35);
      return picked.length > 0 ? picked : [IDS[i % IDS.length] as string];
    },
    new Date(NOW.getTime() - 60_000),
  );
}, 120_000);

afterAll(() => dynamo.destroy());

async function mail(postId: string, tags: string[], data: Record<string, unknown> = {}) {
  const counter: ReadCounter = { itemsRead: 0 };
  const campaigns = createCampaignStore({ client: dynamo, tableName: tables.campaignTable });
  const audience = createDeliveryAudience({
    client: dynamo,
    tableName: tables.subscriberTable,
    store: createSubscriberStore({ client: dynamo, tableName: tables.subscriberTable }),
    counter,
  });
  const enqueued: DeliveryMessage[] = [];
  const started = await startCampaign(
    {
      campaigns,
      countConfirmed: (at, only) => audience.countConfirmed(at, only),
      startFanout: async () => {},
    },
    {
      postId,
      email: makeRenderedEmail(postId),
      delivery: campaignDelivery(makePost({ id: postId, tags, data }), site),
      now: NOW,
    },
  );
  if (!started.started) throw new Error('campaign not started');
  const readAtStart = counter.itemsRead;
  counter.itemsRead = 0;
  const result = await runFanout(
    {
      campaigns,
      subscribers: audience,
      enqueue: async (messages) => {
        enqueued.push(...messages);
      },
      continueLater: async () => {},
      remainingMs: () => Number.POSITIVE_INFINITY,
      now: () => NOW,
      pageSize: 1000,
    },
    postId,
  );
  return { campaign: started.campaign, result, enqueued, readAtStart, readByFanout: counter.itemsRead };
}

const expectedFor = (tags: string[]) =>
  readers.filter((r) => r.topics === undefined || r.topics.some((t) => tags.includes(t))).map((r) => r.id);

describe('10,000 readers in 5 topics on dynalite', () => {
  it('mails a three-topic post to each matching reader once, and counts them at start', {
    timeout: 120_000,
  }, async () => {
    const tags = ['berlin', 'seoul', 'quantization', 'community'];

    const { campaign, enqueued, result } = await mail('three-topics', tags);

    const ids = enqueued.map((m) => m.subscriberId);
    const expected = expectedFor(tags);
    expect(result.status).toBe('done');
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...expected].sort());
    expect(campaign.recipientCount).toBe(expected.length);
    expect(campaign.delivery.audience).toEqual({
      kind: 'topics',
      topics: ['berlin', 'quantization', 'seoul'],
    });
    expect(readers.filter((r) => (r.topics?.length ?? 0) >= 2).length).toBeGreaterThan(1000);
  });

  it('reads only the readers of a one-topic post and the readers who get everything', {
    timeout: 120_000,
  }, async () => {
    const { enqueued, readByFanout, readAtStart } = await mail('one-topic', ['lisbon']);

    const members = readers.filter((r) => r.topics?.includes('lisbon')).length;
    const everything = readers.filter((r) => r.topics === undefined).length;
    expect(enqueued).toHaveLength(members + everything);
    expect(readByFanout).toBe(members + everything);
    expect(readAtStart).toBe(members + everything);
  });

  it('sends a post with no topic tag only to the readers who get everything', {
    timeout: 120_000,
  }, async () => {
    const { enqueued, campaign } = await mail('untagged', ['community']);

    expect(enqueued.map((m) => m.subscriberId).sort()).toEqual(
      readers.filter((r) => r.topics === undefined).map((r) => r.id),
    );
    expect(campaign.recipientCount).toBe(COUNT / 5);
  });

  it('sends a post with topics: all to every confirmed reader', { timeout: 120_000 }, async () => {
    const { enqueued, campaign } = await mail('for-all', [], { topics: 'all' });

    expect(new Set(enqueued.map((m) => m.subscriberId)).size).toBe(COUNT);
    expect(campaign.recipientCount).toBe(COUNT);
    expect(campaign.delivery.audience).toEqual({ kind: 'everyone' });
  });
});
