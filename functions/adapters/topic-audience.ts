/**
 * Audience items: who reads what, kept next to the subscribers in the subscriber table so a mailing
 * to one topic reads only that topic's readers.
 *
 * | item            | pk                          | sk     | attributes                                  |
 * |-----------------|-----------------------------|--------|---------------------------------------------|
 * | audience member | `AUDIENCE#<topic id or *>`  | `<id>` | `id`, `addressHash`, `since` (ISO), `topics` (list; absent for `*`) |
 *
 * - A confirmed reader who gets everything has one item in `AUDIENCE#*`; a reader who chose topics
 *   has one item per chosen topic. Anyone not confirmed has none.
 * - The subscriber item stays the truth: the store writes it first (one conditional write), then
 *   brings the audience items in line ({@link syncAudience}, idempotent). If that second step is
 *   interrupted, the next write of the subscriber repairs it, and the send step re-reads the
 *   subscriber anyway, so a stale item can never mail someone unsubscribed.
 * - `since` is when the reader joined that partition (their confirmation, or the topic change):
 *   a campaign counts and mails only members who were there at its start.
 * - One counter item per partition (`AUDIENCE-COUNT` / `<topic id or *>`, attribute `readers`) moves
 *   by one with each join and leave, so the dashboard reads readers per topic with one small query
 *   instead of counting a partition. A crash between the writes can leave it off by one until
 *   `herald subscribers count` (which counts from the subscriber items) is consulted.
 * - `topics` on each item lets a mailing to several topics skip the members an earlier partition
 *   already emitted (see `emittedBy` in `core/topics.ts`): each reader is read once per matching
 *   topic but enqueued and counted once. Reading stays proportional to the matching readers.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AudienceMember } from '../app/fan-out.ts';
import type { Subscriber } from '../core/subscriber.ts';
import {
  audiencePartitions,
  type CampaignAudience,
  EVERYTHING,
  emittedBy,
  type ReaderTopics,
} from '../core/topics.ts';

/** Thrown when DynamoDB fails or a cursor is not one this module wrote. */
export class TopicAudienceError extends Error {
  override name = 'TopicAudienceError';
}

const audiencePk = (partition: string) => `AUDIENCE#${partition}`;
const COUNT_PK = 'AUDIENCE-COUNT';

// Aliased so DynamoDB's long reserved-word list never bites.
const NAMES = { '#id': 'id', '#hash': 'addressHash', '#since': 'since', '#topics': 'topics' };

type Item = Record<string, unknown>;

/** The partitions a stored subscriber item (or a subscriber) belongs to. */
export function partitionsOf(record: { status?: unknown; topics?: unknown } | undefined): string[] {
  if (record?.status !== 'confirmed') return [];
  const topics = record.topics;
  if (!Array.isArray(topics)) return [EVERYTHING];
  return topics.filter((t): t is string => typeof t === 'string');
}

/** What {@link syncAudience} reads: the stored item before the write, and the subscriber after it. */
export interface AudienceChange {
  before: Item | undefined;
  after: Subscriber | undefined;
}

function wrap(action: string, error: unknown): TopicAudienceError {
  const name = error instanceof Error ? error.name : 'Error';
  return new TopicAudienceError(`topic audience: ${action} failed (${name})`, { cause: error });
}

/**
 * Brings a reader's audience items in line with their record: deletes the partitions they left,
 * writes the ones they are in (keeping `since` of a partition they were already in).
 */
export async function syncAudience(
  doc: DynamoDBDocumentClient,
  tableName: string,
  change: AudienceChange,
): Promise<void> {
  const id = change.after?.id ?? (typeof change.before?.id === 'string' ? change.before.id : undefined);
  if (id === undefined) return;
  const before = partitionsOf(change.before);
  const after = partitionsOf(change.after);
  const wasConfirmed = before.length > 0;
  try {
    await Promise.all(
      before
        .filter((p) => !after.includes(p))
        .map((p) =>
          doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: audiencePk(p), sk: id } })),
        ),
    );
    const moved = [
      ...before.filter((p) => !after.includes(p)).map((p) => [p, -1] as const),
      ...after.filter((p) => !before.includes(p)).map((p) => [p, 1] as const),
    ];
    await Promise.all(
      moved.map(([p, delta]) =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: COUNT_PK, sk: p },
            UpdateExpression: 'ADD #readers :delta',
            ExpressionAttributeNames: { '#readers': 'readers' },
            ExpressionAttributeValues: { ':delta': delta },
          }),
        ),
      ),
    );
    const sub = change.after;
    if (sub === undefined || after.length === 0) return;
    const joined = (wasConfirmed ? sub.updatedAt : (sub.confirmedAt ?? sub.updatedAt)).toISOString();
    await Promise.all(
      after.map((p) =>
        doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: audiencePk(p), sk: id },
            UpdateExpression:
              sub.topics === undefined
                ? 'SET #id = :id, #hash = :hash, #since = if_not_exists(#since, :since) REMOVE #topics'
                : 'SET #id = :id, #hash = :hash, #since = if_not_exists(#since, :since), #topics = :topics',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: {
              ':id': sub.id,
              ':hash': sub.addressHash,
              ':since': joined,
              ...(sub.topics === undefined ? {} : { ':topics': sub.topics }),
            },
          }),
        ),
      ),
    );
  } catch (error) {
    throw wrap('sync', error);
  }
}

/**
 * The audience items of a confirmed reader as {@link syncAudience} writes them for a first
 * confirmation: for bulk seeding (tests, the benchmark) with BatchWrite.
 */
export function audienceItems(
  sub: Pick<Subscriber, 'id' | 'addressHash' | 'status' | 'topics' | 'confirmedAt' | 'updatedAt'>,
): Item[] {
  const since = (sub.confirmedAt ?? sub.updatedAt).toISOString();
  return partitionsOf(sub).map((p) => ({
    pk: audiencePk(p),
    sk: sub.id,
    id: sub.id,
    addressHash: sub.addressHash,
    since,
    ...(sub.topics === undefined ? {} : { topics: sub.topics }),
  }));
}

/** Counts items read, for the benchmark and logs. */
export interface ReadCounter {
  itemsRead: number;
}

/** Reading the audience of topic campaigns. */
export interface TopicAudience {
  /** Members of the audience who joined at or before `at`, each counted once. */
  count(audience: CampaignAudience, at: Date): Promise<number>;
  /** Readers per partition (`*` = everything) from the counter items: one small query. */
  readCounts(): Promise<Record<string, number>>;
  /** Members of one partition (`*` = everything) who joined at or before `at`. */
  countPartition(partition: string, at?: Date): Promise<number>;
  /** One page of the audience; each reader appears in exactly one page. */
  page(
    audience: CampaignAudience,
    options: { cursor?: string; limit: number },
  ): Promise<{ items: AudienceMember[]; cursor?: string }>;
}

interface Cursor {
  /** Index into the audience's partitions. */
  p: number;
  /** LastEvaluatedKey inside that partition. */
  k?: { pk: string; sk: string };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(cursor: string | undefined, partitions: number): Cursor {
  if (cursor === undefined) return { p: 0 };
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    const ok =
      Number.isInteger(value.p) &&
      value.p >= 0 &&
      value.p < partitions &&
      (value.k === undefined || (typeof value.k.pk === 'string' && typeof value.k.sk === 'string'));
    if (!ok) throw new Error('not a topic cursor');
    return value.k ? { p: value.p, k: { pk: value.k.pk, sk: value.k.sk } } : { p: value.p };
  } catch (error) {
    throw new TopicAudienceError(`topic audience: cursor "${cursor.slice(0, 40)}" is not valid`, {
      cause: error,
    });
  }
}

/** Builds the reader over the subscriber table. */
export function createTopicAudience(options: {
  client: DynamoDBClient;
  tableName: string;
  counter?: ReadCounter;
}): TopicAudience {
  const doc = DynamoDBDocumentClient.from(options.client);
  const TableName = options.tableName;
  const counted = (scanned: number | undefined) => {
    if (options.counter) options.counter.itemsRead += scanned ?? 0;
  };

  async function countWhere(
    partition: string,
    at: Date | undefined,
    skip: readonly string[],
  ): Promise<number> {
    const filters: string[] = [];
    const values: Record<string, unknown> = { ':pk': audiencePk(partition) };
    const names: Record<string, string> = {};
    if (at !== undefined) {
      filters.push('#since <= :at');
      names['#since'] = 'since';
      values[':at'] = at.toISOString();
    }
    skip.forEach((topic, i) => {
      filters.push(`NOT contains(#topics, :s${i})`);
      names['#topics'] = 'topics';
      values[`:s${i}`] = topic;
    });
    let count = 0;
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ...(filters.length > 0
              ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names }
              : {}),
            ExpressionAttributeValues: values,
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        );
        counted(out.ScannedCount);
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    } catch (error) {
      throw wrap('count', error);
    }
    return count;
  }

  return {
    async count(audience, at) {
      const partitions = audiencePartitions(audience);
      if (partitions === undefined)
        throw new TopicAudienceError('topic audience: "everyone" is counted on the confirmed index');
      let total = 0;
      const topics = partitions.filter((p) => p !== EVERYTHING);
      for (const partition of partitions) {
        const earlier = partition === EVERYTHING ? [] : topics.slice(0, topics.indexOf(partition));
        total += await countWhere(partition, at, earlier);
      }
      return total;
    },

    countPartition: (partition, at) => countWhere(partition, at, []),

    async readCounts() {
      try {
        const out = await doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': COUNT_PK },
          }),
        );
        return Object.fromEntries(
          (out.Items ?? []).map((item) => [String(item.sk), Number(item.readers ?? 0)]),
        );
      } catch (error) {
        throw wrap('read counts', error);
      }
    },

    async page(audience, { cursor, limit }) {
      const partitions = audiencePartitions(audience);
      if (partitions === undefined)
        throw new TopicAudienceError('topic audience: "everyone" is paged on the confirmed index');
      const at = decodeCursor(cursor, partitions.length);
      const partition = partitions[at.p] as string;
      let out: QueryCommandOutput;
      try {
        out = await doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': audiencePk(partition) },
            Limit: limit,
            ExclusiveStartKey: at.k,
          }),
        );
      } catch (error) {
        throw wrap('page', error);
      }
      counted(out.ScannedCount);
      const items: AudienceMember[] = [];
      for (const item of out.Items ?? []) {
        const reader: ReaderTopics = Array.isArray(item.topics) ? (item.topics as string[]) : undefined;
        if (!emittedBy(partition, reader, audience)) continue;
        const since = typeof item.since === 'string' ? new Date(item.since) : undefined;
        items.push({
          id: String(item.id),
          addressHash: String(item.addressHash),
          ...(since ? { confirmedAt: since } : {}),
        });
      }
      const last = out.LastEvaluatedKey as { pk: string; sk: string } | undefined;
      const next: Cursor | undefined = last
        ? { p: at.p, k: { pk: last.pk, sk: last.sk } }
        : at.p + 1 < partitions.length
          ? { p: at.p + 1 }
          : undefined;
      return { items, ...(next ? { cursor: encodeCursor(next) } : {}) };
    },
  };
}
