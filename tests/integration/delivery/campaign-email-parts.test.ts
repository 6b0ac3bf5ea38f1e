import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import {
  CampaignStoreError,
  createCampaignStore,
  EMAIL_PART_BYTES,
  INLINE_EMAIL_LIMIT,
} from '../../../functions/adapters/campaign-store.ts';
import { startCampaign } from '../../../functions/app/start-campaign.ts';
import type { RenderedEmail } from '../../../functions/core/personalize.ts';
import { localDynamoClient } from '../../../functions/local/services.ts';
import { freshTables, makeDelivery, makeRenderedEmail } from './harness.ts';

const NOW = new Date('2026-03-14T12:00:00Z');
const MB = 1_000_000;

async function makeStore() {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const { campaignTable } = await freshTables(dynamo);
  const store = createCampaignStore({ client: dynamo, tableName: campaignTable });
  const deps = { campaigns: store, countConfirmed: async () => 3, startFanout: async () => undefined };
  const doc = DynamoDBDocumentClient.from(dynamo);
  /** The raw part items of a post's email, as DynamoDB holds them. */
  const partItems = async (postId: string) =>
    (
      await doc.send(
        new QueryCommand({
          TableName: campaignTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `EMAIL#${postId}` },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  const campaignItem = async (postId: string) =>
    (
      await doc.send(
        new GetCommand({ TableName: campaignTable, Key: { pk: 'CAMPAIGN', sk: `POST#${postId}` } }),
      )
    ).Item;
  const start = (postId: string, email: RenderedEmail) =>
    startCampaign(deps, { postId, email, delivery: makeDelivery(postId), now: NOW });
  return { campaignTable, store, doc, partItems, campaignItem, start };
}

/** An email whose JSON is exactly `bytes` long (ASCII padding). */
function emailOfSize(postId: string, bytes: number): RenderedEmail {
  const email = makeRenderedEmail(postId);
  email.html += 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(email)));
  return email;
}

/**
 * A ~1 MB email of 4-byte emoji with some 2-byte umlauts, padded so that every part boundary falls
 * inside a multi-byte character (checked in the tests).
 */
function multiByteEmail(postId: string, seed: string): RenderedEmail {
  for (let pad = 0; pad < 4; pad++) {
    const email = makeRenderedEmail(postId);
    email.html += `${seed}${'a'.repeat(pad)}${'😀'.repeat(MB / 4)}`;
    email.text += `\nGrüße aus Köln, ${seed}.\n`;
    const bytes = Buffer.from(JSON.stringify(email));
    if (boundaries(bytes).every((at) => isContinuation(bytes, at))) return email;
  }
  throw new Error('no padding puts the part boundaries inside a character');
}

const boundaries = (bytes: Buffer) =>
  Array.from(
    { length: Math.ceil(bytes.length / EMAIL_PART_BYTES) - 1 },
    (_, i) => (i + 1) * EMAIL_PART_BYTES,
  );
const isContinuation = (bytes: Buffer, at: number) => ((bytes[at] ?? 0) & 0xc0) === 0x80;

describe('campaign store: rendered emails too big for the campaign item', () => {
  it('keeps an email of up to 300,000 bytes inline, as before, and parts one byte bigger', async () => {
    const { store, partItems, campaignItem, start } = await makeStore();
    const inlineId = `inline-${randomUUID()}`;
    const partedId = `parted-${randomUUID()}`;
    const inline = emailOfSize(inlineId, INLINE_EMAIL_LIMIT);
    const parted = emailOfSize(partedId, INLINE_EMAIL_LIMIT + 1);

    await start(inlineId, inline);
    await start(partedId, parted);

    expect(Buffer.byteLength(JSON.stringify(inline))).toBe(300_000);
    const inlineItem = await campaignItem(inlineId);
    expect(inlineItem?.email).toEqual(inline);
    expect(inlineItem).not.toHaveProperty('emailParts');
    expect(await partItems(inlineId)).toEqual([]);
    expect((await store.loadWithEmail(inlineId))?.email).toEqual(inline);

    const partedItem = await campaignItem(partedId);
    expect(partedItem).not.toHaveProperty('email');
    expect(partedItem?.emailParts).toMatchObject({ count: 2, bytes: 300_001 });
    expect(await partItems(partedId)).toHaveLength(2);
    expect((await store.loadWithEmail(partedId))?.email).toEqual(parted);
    // Listing and status reads never drag the email along.
    expect((await store.list()).find((c) => c.postId === partedId)).not.toHaveProperty('email');
    expect(await store.get(partedId)).not.toHaveProperty('email');
  });

  it('round-trips a 1 MB email byte for byte, with multi-byte characters cut by part boundaries', async () => {
    const { campaignTable, partItems, start } = await makeStore();
    const postId = `big-${randomUUID()}`;
    const email = multiByteEmail(postId, 'first');
    const bytes = Buffer.from(JSON.stringify(email));
    expect(bytes.length).toBeGreaterThan(MB);
    expect(boundaries(bytes)).toHaveLength(3);

    const result = await start(postId, email);
    // A send worker in another process: its own client and store.
    const worker = createCampaignStore({
      client: localDynamoClient(inject('dynamoEndpoint')),
      tableName: campaignTable,
    });
    const loaded = await worker.loadWithEmail(postId);

    expect(result.started).toBe(true);
    expect(Buffer.from(JSON.stringify(loaded?.email)).equals(bytes)).toBe(true);
    const parts = await partItems(postId);
    expect(parts).toHaveLength(4);
    for (const part of parts) expect((part.data as Uint8Array).length).toBeLessThanOrEqual(300_000);
  });

  it('reads an email whose parts span several Query pages', async () => {
    const { campaignTable, start } = await makeStore();
    const postId = `huge-${randomUUID()}`;
    const email = makeRenderedEmail(postId);
    email.html += 'Grüße '.repeat(MB / 4); // 2 MB: 7 parts
    await start(postId, email);
    const client = localDynamoClient(inject('dynamoEndpoint'));
    let queries = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries++;
        return next(args);
      },
      { step: 'initialize' },
    );
    const worker = createCampaignStore({ client, tableName: campaignTable });

    const loaded = await worker.loadWithEmail(postId);

    expect(JSON.stringify(loaded?.email)).toBe(JSON.stringify(email));
    expect(queries).toBeGreaterThan(1);
  });

  it('fails naming the post id when a part is missing', async () => {
    const { doc, campaignTable, store, partItems, start } = await makeStore();
    const postId = `missing-part-${randomUUID()}`;
    await start(postId, multiByteEmail(postId, 'x'));
    const victim = (await partItems(postId))[2];
    await doc.send(new DeleteCommand({ TableName: campaignTable, Key: { pk: victim?.pk, sk: victim?.sk } }));

    const read = store.loadWithEmail(postId);

    await expect(read).rejects.toThrow(CampaignStoreError);
    await expect(read).rejects.toThrow(`campaign ${postId}: the rendered email is incomplete`);
  });

  it('fails naming the post id when a part is corrupt or truncated', async () => {
    const { doc, campaignTable, store, partItems, start } = await makeStore();
    const flippedId = `flipped-${randomUUID()}`;
    const truncatedId = `truncated-${randomUUID()}`;
    await start(flippedId, multiByteEmail(flippedId, 'x'));
    await start(truncatedId, multiByteEmail(truncatedId, 'x'));
    const [flipped] = await partItems(flippedId);
    const [truncated] = await partItems(truncatedId);
    if (!flipped || !truncated) throw new Error('no parts stored');
    const data = Buffer.from(flipped.data as Uint8Array);
    data[1000] = (data[1000] ?? 0) ^ 0x01;
    await doc.send(new PutCommand({ TableName: campaignTable, Item: { ...flipped, data } }));
    await doc.send(
      new PutCommand({
        TableName: campaignTable,
        Item: { ...truncated, data: (truncated.data as Uint8Array).subarray(0, 1000) },
      }),
    );

    const readFlipped = store.loadWithEmail(flippedId);
    const readTruncated = store.loadWithEmail(truncatedId);

    await expect(readFlipped).rejects.toThrow(CampaignStoreError);
    await expect(readFlipped).rejects.toThrow(`campaign ${flippedId}: the rendered email is corrupt`);
    await expect(readTruncated).rejects.toThrow(`campaign ${truncatedId}: the rendered email is corrupt`);
  });

  it("never lets a second start with other content touch the first campaign's email", async () => {
    const { store, partItems, start } = await makeStore();
    const postId = `restart-${randomUUID()}`;
    const first = multiByteEmail(postId, 'first version');
    const second = multiByteEmail(postId, 'edited version');
    await start(postId, first);

    const again = await start(postId, second);

    expect(again).toMatchObject({ started: false, existing: { kind: 'campaign' } });
    const loaded = await store.loadWithEmail(postId);
    expect(JSON.stringify(loaded?.email)).toBe(JSON.stringify(first));
    // The loser cleaned up after itself: only the first version's parts are left.
    expect(await partItems(postId)).toHaveLength(4);
  });

  it('keeps the email of whichever start wins a race between different contents', async () => {
    const { store, partItems, start } = await makeStore();
    const postId = `race-${randomUUID()}`;
    const emails = [
      multiByteEmail(postId, 'one'),
      multiByteEmail(postId, 'two'),
      multiByteEmail(postId, 'three'),
    ];

    const results = await Promise.all(emails.map((email) => start(postId, email)));

    const winners = results.flatMap((r, i) => (r.started ? [i] : []));
    expect(winners).toHaveLength(1);
    const loaded = await store.loadWithEmail(postId);
    expect(JSON.stringify(loaded?.email)).toBe(JSON.stringify(emails[winners[0] ?? -1]));
    expect(await partItems(postId)).toHaveLength(4);
  });
});
