/**
 * Subscribers in one DynamoDB table.
 *
 * Key design (single table; all keys are strings):
 *
 * | item                  | pk                         | sk            | gsi1pk / gsi1sk (index `confirmed`)  | gsi2pk (index `by-id`) |
 * |-----------------------|----------------------------|---------------|---------------------------------------|------------------------|
 * | subscriber            | `ADDRESS#<addressHash>`    | `SUBSCRIBER`  | `CONFIRMED` / `<confirmedAt ISO>#<id>` only while confirmed | `ID#<id>` |
 * | suppression tombstone | `ADDRESS#<addressHash>`    | `SUBSCRIBER`  | absent                                | absent                 |
 * | rate-limit window     | `RATE#<scope>#<keyHash>`   | `<window start ISO>` | absent                         | absent                 |
 *
 * - One item per address, keyed by the address hash, so "one subscriber per address" is a plain
 *   conditional put (dynalite has no transactions, and we want none: every change is one atomic
 *   write, so a failed write leaves nothing half-done).
 * - `confirmed` is a sparse GSI: only confirmed subscribers carry `gsi1pk`, so a mailing pages through
 *   exactly them, oldest confirmation first (stable: new confirmations append at the end).
 * - `by-id` resolves token subscriber ids (eventually consistent; every write re-reads by pk).
 * - A tombstone (erased address, or a bounce/complaint for an address we never stored) keeps only
 *   the hash, status `suppressed`, reason and time: no personal data, but never mailed again.
 * - Rate-limit items expire through the TTL attribute `expiresAt` (epoch seconds).
 * - Every subscriber write carries `version`; writes are conditional on the version read.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type SubscriberPage,
  type SubscriberStore,
  SubscriberStoreError,
  type SuppressionTombstone,
} from '../app/ports.ts';
import type { ConsentRecord, Subscriber, SubscriberStatus, SuppressionReason } from '../core/subscriber.ts';
import { scanPages } from './paged-query.ts';
import { syncAudience } from './topic-audience.ts';

export type { SubscriberPage, SubscriberStore, SuppressionTombstone };
export { SubscriberStoreError };

/** Index names and key attributes, for infra and the local table. */
export const SUBSCRIBER_TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  confirmedIndex: 'confirmed',
  byIdIndex: 'by-id',
  ttlAttribute: 'expiresAt',
} as const;

/** The CreateTable input the store expects (on-demand billing); infra mirrors this. */
export function subscriberTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
      { AttributeName: 'gsi1sk', AttributeType: 'S' },
      { AttributeName: 'gsi2pk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'confirmed',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: 'by-id',
        KeySchema: [{ AttributeName: 'gsi2pk', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

const SK = 'SUBSCRIBER';
const addressPk = (hash: string) => `ADDRESS#${hash}`;

type Item = Record<string, unknown>;

const iso = (d: Date | undefined) => d?.toISOString();
const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function withoutUndefined(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}

function toItem(sub: Subscriber): Item {
  const c = sub.consent;
  return withoutUndefined({
    pk: addressPk(sub.addressHash),
    sk: SK,
    gsi1pk: sub.status === 'confirmed' ? 'CONFIRMED' : undefined,
    gsi1sk: sub.status === 'confirmed' ? `${iso(sub.confirmedAt ?? sub.updatedAt)}#${sub.id}` : undefined,
    gsi2pk: `ID#${sub.id}`,
    id: sub.id,
    email: sub.email,
    addressHash: sub.addressHash,
    status: sub.status,
    createdAt: iso(sub.createdAt),
    updatedAt: iso(sub.updatedAt),
    pendingSince: iso(sub.pendingSince),
    confirmationSentAt: iso(sub.confirmationSentAt),
    recentConfirmations: sub.recentConfirmations?.map((d) => d.toISOString()),
    confirmedAt: iso(sub.confirmedAt),
    unsubscribedAt: iso(sub.unsubscribedAt),
    suppressedAt: iso(sub.suppressedAt),
    suppressionReason: sub.suppressionReason,
    softBounces: sub.softBounces,
    consent: withoutUndefined({
      at: iso(c.at),
      source: c.source,
      method: c.method,
      ip: c.ip,
      userAgent: c.userAgent,
      textVersion: c.textVersion,
      confirmedAt: iso(c.confirmedAt),
      confirmIp: c.confirmIp,
      confirmUserAgent: c.confirmUserAgent,
    }),
    topics: sub.topics,
    version: sub.version,
  });
}

function fromItem(item: Item): Subscriber | SuppressionTombstone {
  const addressHash = str(item.addressHash) ?? String(item.pk).slice('ADDRESS#'.length);
  const version = typeof item.version === 'number' ? item.version : 0;
  const id = str(item.id);
  const email = str(item.email);
  if (id === undefined || email === undefined) {
    return {
      kind: 'tombstone',
      addressHash,
      suppressionReason: str(item.suppressionReason) as SuppressionReason | undefined,
      suppressedAt: date(item.suppressedAt),
      version,
    };
  }
  const c = (item.consent ?? {}) as Item;
  const consent: ConsentRecord = {
    at: date(c.at) ?? new Date(0),
    source: str(c.source) ?? '',
    method: c.method === 'import' ? 'import' : 'double-opt-in',
    ip: str(c.ip),
    userAgent: str(c.userAgent),
    textVersion: str(c.textVersion) ?? '',
    confirmedAt: date(c.confirmedAt),
    confirmIp: str(c.confirmIp),
    confirmUserAgent: str(c.confirmUserAgent),
  };
  return {
    id,
    email,
    addressHash,
    status: str(item.status) as SubscriberStatus,
    createdAt: date(item.createdAt) ?? new Date(0),
    updatedAt: date(item.updatedAt) ?? new Date(0),
    pendingSince: date(item.pendingSince),
    confirmationSentAt: date(item.confirmationSentAt),
    recentConfirmations: Array.isArray(item.recentConfirmations)
      ? item.recentConfirmations.filter((v): v is string => typeof v === 'string').map((v) => new Date(v))
      : undefined,
    confirmedAt: date(item.confirmedAt),
    unsubscribedAt: date(item.unsubscribedAt),
    suppressedAt: date(item.suppressedAt),
    suppressionReason: str(item.suppressionReason) as SuppressionReason | undefined,
    softBounces: typeof item.softBounces === 'number' ? item.softBounces : 0,
    consent,
    ...(Array.isArray(item.topics) ? { topics: item.topics.map(String) } : {}),
    version,
  };
}

/** Narrows a stored record to a subscriber. */
export function isSubscriber(record: Subscriber | SuppressionTombstone | undefined): record is Subscriber {
  return record !== undefined && !('kind' in record);
}

function wrap(action: string, error: unknown): SubscriberStoreError {
  const name = error instanceof Error ? error.name : 'Error';
  return new SubscriberStoreError(`subscriber store: ${action} failed (${name})`, { cause: error });
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

function decodeCursor(cursor: string | undefined): Record<string, AttributeValue> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new Error('not an object');
    for (const value of Object.values(key)) if (typeof value !== 'string') throw new Error('not a key');
    return key as Record<string, AttributeValue>;
  } catch (error) {
    throw new SubscriberStoreError(`subscriber store: cursor "${cursor.slice(0, 40)}" is not valid`, {
      cause: error,
    });
  }
}

/** Builds the DynamoDB-backed store. */
export function createSubscriberStore(options: {
  client: DynamoDBClient;
  tableName: string;
}): SubscriberStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;

  async function call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw wrap(action, error);
    }
  }

  const store: SubscriberStore = {
    async findByAddressHash(addressHash) {
      const out = await call('get', () =>
        doc.send(
          new GetCommand({ TableName, Key: { pk: addressPk(addressHash), sk: SK }, ConsistentRead: true }),
        ),
      );
      return out.Item ? fromItem(out.Item) : undefined;
    },

    async getById(id) {
      const out = await call('get by id', () =>
        doc.send(
          new QueryCommand({
            TableName,
            IndexName: 'by-id',
            KeyConditionExpression: 'gsi2pk = :id',
            ExpressionAttributeValues: { ':id': `ID#${id}` },
            Limit: 1,
          }),
        ),
      );
      const record = out.Items?.[0] ? fromItem(out.Items[0]) : undefined;
      return isSubscriber(record) ? record : undefined;
    },

    async save(sub) {
      const condition =
        sub.version === 1
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': sub.version - 1 },
            };
      let before: Item | undefined;
      try {
        const out = await doc.send(
          new PutCommand({ TableName, Item: toItem(sub), ...condition, ReturnValues: 'ALL_OLD' }),
        );
        before = out.Attributes;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return 'conflict';
        throw wrap('save', error);
      }
      await syncAudience(doc, TableName, { before, after: sub });
      return 'saved';
    },

    async isSuppressed(addressHash) {
      const record = await store.findByAddressHash(addressHash);
      return record !== undefined && (!isSubscriber(record) || record.status === 'suppressed');
    },

    async suppress(addressHash, reason, now) {
      // One unconditional update: creates a tombstone when nothing is stored, bumps the version
      // so any in-flight optimistic write loses, and drops the item from the confirmed index.
      const out = await call('suppress', () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: addressPk(addressHash), sk: SK },
            UpdateExpression:
              'SET #status = :suppressed, addressHash = :hash, suppressedAt = if_not_exists(suppressedAt, :now), suppressionReason = if_not_exists(suppressionReason, :reason), updatedAt = :now ADD #version :one REMOVE gsi1pk, gsi1sk',
            ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
            ExpressionAttributeValues: {
              ':suppressed': 'suppressed',
              ':hash': addressHash,
              ':now': now.toISOString(),
              ':reason': reason,
              ':one': 1,
            },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      await syncAudience(doc, TableName, { before: out.Attributes, after: undefined });
    },

    async erase(addressHash, now) {
      const out = await call('erase', () =>
        doc.send(
          new PutCommand({
            TableName,
            Item: {
              pk: addressPk(addressHash),
              sk: SK,
              addressHash,
              status: 'suppressed',
              suppressionReason: 'erased',
              suppressedAt: now.toISOString(),
              updatedAt: now.toISOString(),
              // Unconditional, so it must beat any version an in-flight writer read: a clock value does.
              version: now.getTime(),
            },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      await syncAudience(doc, TableName, { before: out.Attributes, after: undefined });
      return out.Attributes !== undefined && typeof out.Attributes.id === 'string';
    },

    async listConfirmed({ limit, cursor }) {
      const out = await call('list confirmed', () =>
        doc.send(
          new QueryCommand({
            TableName,
            IndexName: 'confirmed',
            KeyConditionExpression: 'gsi1pk = :c',
            ExpressionAttributeValues: { ':c': 'CONFIRMED' },
            Limit: limit,
            ExclusiveStartKey: decodeCursor(cursor),
          }),
        ),
      );
      const subscribers = (out.Items ?? []).map(fromItem).filter(isSubscriber);
      return { subscribers, cursor: encodeCursor(out.LastEvaluatedKey) };
    },

    async *scanAll() {
      const input = { TableName, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': SK } };
      for await (const page of scanPages(doc, input, (error) => wrap('scan', error))) {
        for (const item of page.Items ?? []) yield fromItem(item);
      }
    },

    async hit(scope, keyHash, now, windowMs) {
      const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
      const out = await call('rate limit', () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: `RATE#${scope}#${keyHash}`, sk: new Date(windowStart).toISOString() },
            UpdateExpression: 'ADD #count :one SET expiresAt = :ttl',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1, ':ttl': Math.ceil((windowStart + 2 * windowMs) / 1000) },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return Number(out.Attributes?.count ?? 0);
    },
  };
  return store;
}
