/**
 * Campaign and not-to-mail records: one per post id, ever, all in the `CAMPAIGN` partition (so
 * `herald campaigns` is one Query). The rendered email rides in the campaign item when it fits,
 * else in parts (`email-parts.ts`).
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  Campaign,
  CampaignDelivery,
  CampaignRecord,
  CampaignWithEmail,
  FanoutProgress,
} from '../core/campaign.ts';
import type { RenderedEmail } from '../core/personalize.ts';
import {
  CAMPAIGN_PK,
  CampaignStoreError,
  type CampaignTable,
  campaignSk,
  date,
  type Item,
  num,
  str,
  withoutUndefined,
} from './campaign-table.ts';
import { type EmailParts, type EmailPartsRef, INLINE_EMAIL_LIMIT, partsRefFromItem } from './email-parts.ts';

/** The campaign-record side of the campaign store. */
export interface CampaignRecords {
  create(
    record: CampaignRecord,
    email?: RenderedEmail,
  ): Promise<{ created: true } | { created: false; existing: CampaignRecord }>;
  get(postId: string): Promise<CampaignRecord | undefined>;
  loadWithEmail(postId: string): Promise<CampaignWithEmail | undefined>;
  /** Every campaign and not-to-mail record, newest first. */
  list(): Promise<CampaignRecord[]>;
  /** Saves fan-out progress if nobody else advanced it since page `expectedPage`. */
  saveFanout(postId: string, expectedPage: number, next: FanoutProgress, now: Date): Promise<boolean>;
  pause(postId: string, until: Date, reason: string, now: Date): Promise<void>;
  halt(postId: string, reason: string, now: Date): Promise<void>;
  /** Clears a pause or halt. */
  resume(postId: string, now: Date): Promise<void>;
}

// Everything but the (possibly large) email, for listings and status checks; every name aliased
// so DynamoDB's long reserved-word list never bites.
const LIST_ATTRIBUTES = [
  'pk',
  'sk',
  'kind',
  'postId',
  'status',
  'startedAt',
  'recipientCount',
  'subject',
  'delivery',
  'fanout',
  'pausedUntil',
  'haltReason',
  'updatedAt',
  'reason',
  'recordedAt',
  'emailParts',
];
const LIST_NAMES = Object.fromEntries(LIST_ATTRIBUTES.map((name, i) => [`#a${i}`, name]));
const LIST_PROJECTION = Object.keys(LIST_NAMES).join(', ');

function fanoutItem(f: FanoutProgress): Item {
  return withoutUndefined({
    done: f.done,
    page: f.page,
    cursor: f.cursor,
    enqueued: f.enqueued,
    finishedAt: f.finishedAt?.toISOString(),
  });
}

function toItem(record: CampaignRecord): Item {
  if (record.kind === 'not-to-mail') {
    return {
      pk: CAMPAIGN_PK,
      sk: campaignSk(record.postId),
      kind: record.kind,
      postId: record.postId,
      reason: record.reason,
      recordedAt: record.recordedAt.toISOString(),
      sortAt: record.recordedAt.toISOString(),
    };
  }
  return withoutUndefined({
    pk: CAMPAIGN_PK,
    sk: campaignSk(record.postId),
    kind: record.kind,
    postId: record.postId,
    status: record.status,
    startedAt: record.startedAt.toISOString(),
    sortAt: record.startedAt.toISOString(),
    recipientCount: record.recipientCount,
    subject: record.subject,
    delivery: withoutUndefined({ ...record.delivery }),
    fanout: fanoutItem(record.fanout),
    pausedUntil: record.pausedUntil?.toISOString(),
    haltReason: record.haltReason,
    updatedAt: record.updatedAt.toISOString(),
  });
}

function fromItem(item: Item): CampaignRecord {
  const postId = String(item.postId);
  if (item.kind === 'not-to-mail') {
    return {
      kind: 'not-to-mail',
      postId,
      reason: String(item.reason),
      recordedAt: date(item.recordedAt) ?? new Date(0),
    };
  }
  const f = (item.fanout ?? {}) as Item;
  const pausedUntil = date(item.pausedUntil);
  const haltReason = str(item.haltReason);
  const cursor = str(f.cursor);
  const finishedAt = date(f.finishedAt);
  return {
    kind: 'campaign',
    postId,
    status: (str(item.status) ?? 'sending') as Campaign['status'],
    startedAt: date(item.startedAt) ?? new Date(0),
    recipientCount: num(item.recipientCount),
    subject: String(item.subject ?? ''),
    delivery: item.delivery as CampaignDelivery,
    fanout: {
      done: f.done === true,
      page: num(f.page),
      enqueued: num(f.enqueued),
      ...(cursor !== undefined ? { cursor } : {}),
      ...(finishedAt ? { finishedAt } : {}),
    },
    ...(pausedUntil ? { pausedUntil } : {}),
    ...(haltReason !== undefined ? { haltReason } : {}),
    updatedAt: date(item.updatedAt) ?? new Date(0),
  };
}

/** Campaign records in the campaign table; big emails go to `emailParts`. */
export function createCampaignRecords(table: CampaignTable, emailParts: EmailParts): CampaignRecords {
  const { doc, TableName, call, conditional, query } = table;

  async function getItem(postId: string, withEmail: boolean): Promise<Item | undefined> {
    const out = await call(`get campaign ${postId}`, () =>
      doc.send(
        new GetCommand({
          TableName,
          Key: { pk: CAMPAIGN_PK, sk: campaignSk(postId) },
          ConsistentRead: true,
          ...(withEmail
            ? {}
            : { ProjectionExpression: LIST_PROJECTION, ExpressionAttributeNames: LIST_NAMES }),
        }),
      ),
    );
    return out.Item;
  }

  return {
    async create(record, email) {
      const item = toItem(record);
      let parts: EmailPartsRef | undefined;
      if (email) {
        const json = Buffer.from(JSON.stringify(email), 'utf8');
        if (json.length <= INLINE_EMAIL_LIMIT) item.email = email;
        else {
          // Parts first: once the campaign item exists, a send worker may read the email at once.
          parts = await emailParts.put(record.postId, json);
          item.emailParts = parts;
        }
      }
      const created = await conditional(`create campaign ${record.postId}`, () =>
        doc.send(new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (created) return { created: true };
      const existingItem = await getItem(record.postId, false);
      if (!existingItem)
        throw new CampaignStoreError(`campaign ${record.postId}: create was refused but nothing is stored`);
      // Lost the race (or the post was mailed before): our parts are garbage unless the winner
      // stored the very same content, in which case they are the winner's parts too. Best effort:
      // a part left behind is never read (the campaign item names another hash), so a failed
      // clean-up must not turn a correct "already exists" answer into an error.
      if (parts && partsRefFromItem(existingItem.emailParts)?.hash !== parts.hash) {
        await emailParts.delete(record.postId, parts).catch(() => undefined);
      }
      return { created: false, existing: fromItem(existingItem) };
    },

    async get(postId) {
      const item = await getItem(postId, false);
      return item ? fromItem(item) : undefined;
    },

    async loadWithEmail(postId) {
      const item = await getItem(postId, true);
      if (!item) return undefined;
      const record = fromItem(item);
      if (record.kind !== 'campaign') return undefined;
      const parts = partsRefFromItem(item.emailParts);
      const email =
        (item.email as RenderedEmail | undefined) ?? (parts && (await emailParts.read(postId, parts)));
      if (!email) throw new CampaignStoreError(`campaign ${postId}: the rendered email is missing`);
      return { ...record, email };
    },

    async list() {
      const records: CampaignRecord[] = [];
      const items = query('list campaigns', {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': CAMPAIGN_PK },
        ProjectionExpression: LIST_PROJECTION,
        ExpressionAttributeNames: LIST_NAMES,
      });
      for await (const item of items) records.push(fromItem(item));
      const at = (r: CampaignRecord) => (r.kind === 'campaign' ? r.startedAt : r.recordedAt).getTime();
      return records.sort((a, b) => at(b) - at(a));
    },

    async saveFanout(postId, expectedPage, next, now) {
      return conditional(`save fan-out of ${postId}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: CAMPAIGN_PK, sk: campaignSk(postId) },
            UpdateExpression: 'SET #fanout = :next, updatedAt = :now',
            ConditionExpression: '#fanout.#page = :expected',
            ExpressionAttributeNames: { '#fanout': 'fanout', '#page': 'page' },
            ExpressionAttributeValues: {
              ':next': fanoutItem(next),
              ':now': now.toISOString(),
              ':expected': expectedPage,
            },
          }),
        ),
      );
    },

    async pause(postId, until, reason, now) {
      // A halt wins over a pause: only an operator clears a halt.
      await conditional(`pause ${postId}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: CAMPAIGN_PK, sk: campaignSk(postId) },
            UpdateExpression:
              'SET #status = :paused, pausedUntil = :until, pauseReason = :why, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND #status <> :halted',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':paused': 'paused',
              ':halted': 'halted',
              ':until': until.toISOString(),
              ':why': reason,
              ':now': now.toISOString(),
            },
          }),
        ),
      );
    },

    async halt(postId, reason, now) {
      await call(`halt ${postId}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: CAMPAIGN_PK, sk: campaignSk(postId) },
            UpdateExpression: 'SET #status = :halted, haltReason = :why, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':halted': 'halted', ':why': reason, ':now': now.toISOString() },
          }),
        ),
      );
    },

    async resume(postId, now) {
      await call(`resume ${postId}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: CAMPAIGN_PK, sk: campaignSk(postId) },
            UpdateExpression:
              'SET #status = :sending, updatedAt = :now REMOVE pausedUntil, pauseReason, haltReason',
            ConditionExpression: 'attribute_exists(pk) AND #kind = :campaign',
            ExpressionAttributeNames: { '#status': 'status', '#kind': 'kind' },
            ExpressionAttributeValues: {
              ':sending': 'sending',
              ':campaign': 'campaign',
              ':now': now.toISOString(),
            },
          }),
        ),
      );
    },
  };
}
