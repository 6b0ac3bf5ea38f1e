/**
 * The subscriber side of delivery, over the subscriber store (`subscriber-store.ts`): counting and
 * paging the confirmed subscribers for fan-out, and the send-time re-check of one recipient.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AudienceMember, ConfirmedSubscribers } from '../app/fan-out.ts';
import type { RecipientCheck } from '../app/send-batch.ts';
import { isMailable } from '../core/subscriber.ts';
import type { CampaignAudience } from '../core/topics.ts';
import { queryPages } from './paged-query.ts';
import { isSubscriber, SUBSCRIBER_TABLE_KEYS, type SubscriberStore } from './subscriber-store.ts';
import { createTopicAudience, type ReadCounter, type TopicAudience } from './topic-audience.ts';

/** The audience ports delivery needs. */
export interface DeliveryAudience extends ConfirmedSubscribers {
  /** Confirmed subscribers whose confirmation is at or before `at`; of `audience` when it names topics. */
  countConfirmed(at: Date, audience?: CampaignAudience): Promise<number>;
  check: RecipientCheck;
  /** The audience items per topic (counts per topic, topic mailings). */
  topics: TopicAudience;
}

/**
 * Builds the audience. Counting reads the sparse `confirmed` index with `Select: COUNT` (no items
 * are returned): its sort key is `<confirmedAt ISO>#<id>`, so `<= "<at ISO>#~"` is exactly "confirmed
 * at or before `at`" (`~` sorts after every id character).
 */
export function createDeliveryAudience(options: {
  client: DynamoDBClient;
  tableName: string;
  store: SubscriberStore;
  /** Counts the audience items topic mailings read (benchmark). */
  counter?: ReadCounter;
}): DeliveryAudience {
  const doc = DynamoDBDocumentClient.from(options.client);
  const topics = createTopicAudience(options);
  return {
    topics,
    async countConfirmed(at, audience) {
      if (audience !== undefined && audience.kind === 'topics') return topics.count(audience, at);
      const input = {
        TableName: options.tableName,
        IndexName: SUBSCRIBER_TABLE_KEYS.confirmedIndex,
        KeyConditionExpression: 'gsi1pk = :c AND gsi1sk <= :at',
        ExpressionAttributeValues: { ':c': 'CONFIRMED', ':at': `${at.toISOString()}#~` },
        Select: 'COUNT' as const,
      };
      let count = 0;
      for await (const page of queryPages(doc, input, (error) => error as Error)) count += page.Count ?? 0;
      return count;
    },

    async page({ cursor, limit, audience }) {
      if (audience !== undefined && audience.kind === 'topics') {
        return topics.page(audience, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      }
      const page = await options.store.listConfirmed({ limit, ...(cursor !== undefined ? { cursor } : {}) });
      const items: AudienceMember[] = page.subscribers.map((s) => ({
        id: s.id,
        addressHash: s.addressHash,
        ...(s.confirmedAt ? { confirmedAt: s.confirmedAt } : {}),
      }));
      return { items, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) };
    },

    // One strongly consistent read by address hash: an unsubscribe a moment ago is seen.
    async check(message) {
      const record = await options.store.findByAddressHash(message.addressHash);
      if (!isSubscriber(record)) return { ok: false, reason: record ? 'suppressed' : 'subscriber removed' };
      if (record.id !== message.subscriberId)
        return { ok: false, reason: 'address now belongs to another subscriber' };
      if (!isMailable(record)) return { ok: false, reason: record.status };
      return { ok: true, email: record.email };
    },
  };
}
