/**
 * Campaigns, the per-recipient ledger and the global send-rate counter, in one DynamoDB table.
 *
 * Key design (all keys strings; no indexes needed):
 *
 * | item              | pk                  | sk                       | notes                                  |
 * |-------------------|---------------------|--------------------------|----------------------------------------|
 * | campaign          | `CAMPAIGN`          | `POST#<postId>`          | also not-to-mail records; one per post id, ever (conditional put) |
 * | ledger record     | `LEDGER#<postId>`   | `SUB#<subscriberId>`     | state machine in `core/campaign.ts`; every write conditional |
 * | rate window       | `RATE#<scope>`      | `<window start epoch ms>`| `count` (ADD), expires via TTL `expiresAt` |
 * | email part        | `EMAIL#<postId>`    | `<sha256 hex>#<nnnnn>`   | `data` (Binary): part `nnnnn` of an email too big for the campaign item |
 *
 * - All campaigns share one partition so `herald campaigns` is one Query; they change rarely
 *   (start, fan-out pages, pause/halt), so the partition is never hot.
 * - The rendered email (JSON) is stored in the campaign item when it fits (the item limit is
 *   400 KB). A bigger one is cut into byte parts of at most {@link EMAIL_PART_BYTES}, each its own
 *   item, written BEFORE the conditional campaign put; the campaign item keeps `emailParts`
 *   (`hash`, `count`, `bytes`). Parts are keyed by the SHA-256 of the whole JSON, so two publishers
 *   racing with different content never overwrite each other's parts, and the one that loses the
 *   conditional put deletes its own. Reading is one paged Query that checks the count and the hash.
 *   Delivery therefore needs nothing but this table.
 * - Each recipient's ledger record lives under its campaign, so status is one Query per campaign.
 * - The rate counter is one item per window: an unconditional `ADD` never fails, and the caller
 *   reads back the new total to see which slots it got (see `core/pacing.ts`).
 * - dynalite has no transactions and we need none: every change is a single conditional write.
 */
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { LedgerPort } from '../app/send-batch.ts';
import {
  type Campaign,
  type CampaignDelivery,
  type CampaignRecord,
  type CampaignWithEmail,
  canTransition,
  emptyCounts,
  type FanoutProgress,
  LEDGER_STATES,
  type LedgerEntry,
  type LedgerState,
  type StateCounts,
} from '../core/campaign.ts';
import type { RenderedEmail } from '../core/personalize.ts';

/** Thrown when DynamoDB fails or returns something we did not write. */
export class CampaignStoreError extends Error {
  override name = 'CampaignStoreError';
}

/** The CreateTable input the store expects (on-demand billing); infra mirrors this, plus TTL on `expiresAt`. */
export function campaignTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  };
}

/** The campaign store: everything the delivery handlers and the CLI read and write. */
export interface CampaignStore {
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

  claim: LedgerPort['claim'];
  getEntry: LedgerPort['get'];
  move: LedgerPort['move'];
  /** Ledger records for these subscribers (missing ones are absent from the map). */
  getEntries(postId: string, subscriberIds: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /** Pages through a campaign's ledger, optionally only some states. */
  entries(postId: string, options?: { states?: readonly LedgerState[] }): AsyncIterable<LedgerEntry>;
  /** Ledger records per state (one paged Query reading only the state attribute). */
  countStates(postId: string): Promise<StateCounts>;

  /** Atomically adds `n` to a rate window counter and returns the new total. */
  addToWindow(scope: string, windowStartMs: number, n: number, ttlSeconds: number): Promise<number>;
}

const CAMPAIGN_PK = 'CAMPAIGN';
const campaignSk = (postId: string) => `POST#${postId}`;
const ledgerPk = (postId: string) => `LEDGER#${postId}`;
const ledgerSk = (subscriberId: string) => `SUB#${subscriberId}`;
const emailPartPk = (postId: string) => `EMAIL#${postId}`;
/** Hash first, so one Query with `begins_with` finds exactly one version's parts, in order. */
const emailPartSk = (hash: string, index: number) => `${hash}#${String(index).padStart(5, '0')}`;
/** Leave room under DynamoDB's 400 KB item limit for the rest of the campaign item. */
export const INLINE_EMAIL_LIMIT = 300_000;
/** Largest email part (bytes of the JSON); with its key it stays well under the 400 KB item limit. */
export const EMAIL_PART_BYTES = 300_000;
/** Parts written at once. */
const PART_WRITE_CONCURRENCY = 4;

type Item = Record<string, unknown>;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : undefined);

function withoutUndefined<T extends Item>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
}

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

function entryFromItem(postId: string, item: Item): LedgerEntry {
  const messageId = str(item.messageId);
  const reason = str(item.reason);
  return {
    postId,
    subscriberId: String(item.subscriberId),
    addressHash: String(item.addressHash ?? ''),
    state: String(item.state) as LedgerState,
    claimId: String(item.claimId ?? ''),
    updatedAt: date(item.updatedAt) ?? new Date(0),
    attempts: num(item.attempts),
    ...(messageId !== undefined ? { messageId } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
}

/** What the campaign item records about an email stored in parts. */
interface EmailPartsRef {
  /** SHA-256 (hex) of the whole email JSON. */
  hash: string;
  count: number;
  bytes: number;
}

function partsRefFromItem(value: unknown): EmailPartsRef | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Item;
  if (typeof v.hash !== 'string' || typeof v.count !== 'number' || typeof v.bytes !== 'number') {
    return undefined;
  }
  return { hash: v.hash, count: v.count, bytes: v.bytes };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Builds the DynamoDB-backed store. */
export function createCampaignStore(options: { client: DynamoDBClient; tableName: string }): CampaignStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;

  async function call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      throw new CampaignStoreError(`campaign store (table ${TableName}): ${action} failed (${name})`, {
        cause: error,
      });
    }
  }

  /** Runs a conditional write; false when the condition failed. */
  async function conditional(action: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      const name = error instanceof Error ? error.name : 'Error';
      throw new CampaignStoreError(`campaign store (table ${TableName}): ${action} failed (${name})`, {
        cause: error,
      });
    }
  }

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

  /**
   * Writes the parts of an email too big for the campaign item. Unconditional puts: a retry, or a
   * racing publisher with the same content, writes the same bytes under the same keys.
   */
  async function putEmailParts(postId: string, json: Buffer): Promise<EmailPartsRef> {
    const hash = sha256(json);
    const count = Math.ceil(json.length / EMAIL_PART_BYTES);
    for (let first = 0; first < count; first += PART_WRITE_CONCURRENCY) {
      const batch = Array.from(
        { length: Math.min(PART_WRITE_CONCURRENCY, count - first) },
        (_, i) => first + i,
      );
      await Promise.all(
        batch.map((index) =>
          call(`put email part ${index + 1}/${count} of ${postId}`, () =>
            doc.send(
              new PutCommand({
                TableName,
                Item: {
                  pk: emailPartPk(postId),
                  sk: emailPartSk(hash, index),
                  postId,
                  hash,
                  index,
                  data: json.subarray(index * EMAIL_PART_BYTES, (index + 1) * EMAIL_PART_BYTES),
                },
              }),
            ),
          ),
        ),
      );
    }
    return { hash, count, bytes: json.length };
  }

  /** Every stored part of one email version, by index (one Query, paged: ~3 parts per 1 MB page). */
  async function queryEmailParts(postId: string, hash: string): Promise<Map<number, Uint8Array>> {
    const parts = new Map<number, Uint8Array>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await call(`query email parts of ${postId}`, () =>
        doc.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hash)',
            ExpressionAttributeValues: { ':pk': emailPartPk(postId), ':hash': `${hash}#` },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const part of out.Items ?? []) {
        if (typeof part.index === 'number' && part.data instanceof Uint8Array)
          parts.set(part.index, part.data);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return parts;
  }

  async function readEmailParts(postId: string, ref: EmailPartsRef): Promise<RenderedEmail> {
    const parts = await queryEmailParts(postId, ref.hash);
    const missing: number[] = [];
    const chunks: Uint8Array[] = [];
    for (let index = 0; index < ref.count; index++) {
      const part = parts.get(index);
      if (part) chunks.push(part);
      else missing.push(index + 1);
    }
    if (missing.length > 0) {
      throw new CampaignStoreError(
        `campaign ${postId}: the rendered email is incomplete: part(s) ${missing.join(', ')} of ${ref.count} are missing`,
      );
    }
    const json = Buffer.concat(chunks);
    if (json.length !== ref.bytes || sha256(json) !== ref.hash) {
      throw new CampaignStoreError(
        `campaign ${postId}: the rendered email is corrupt: its ${ref.count} part(s) do not match the recorded size and SHA-256`,
      );
    }
    try {
      return JSON.parse(json.toString('utf8')) as RenderedEmail;
    } catch (error) {
      throw new CampaignStoreError(`campaign ${postId}: the rendered email is not valid JSON`, {
        cause: error,
      });
    }
  }

  async function deleteEmailParts(postId: string, ref: EmailPartsRef): Promise<void> {
    for (let index = 0; index < ref.count; index++) {
      await call(`delete email part ${index + 1}/${ref.count} of ${postId}`, () =>
        doc.send(
          new DeleteCommand({
            TableName,
            Key: { pk: emailPartPk(postId), sk: emailPartSk(ref.hash, index) },
          }),
        ),
      );
    }
  }

  const store: CampaignStore = {
    async create(record, email) {
      const item = toItem(record);
      let parts: EmailPartsRef | undefined;
      if (email) {
        const json = Buffer.from(JSON.stringify(email), 'utf8');
        if (json.length <= INLINE_EMAIL_LIMIT) item.email = email;
        else {
          // Parts first: once the campaign item exists, a send worker may read the email at once.
          parts = await putEmailParts(record.postId, json);
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
        await deleteEmailParts(record.postId, parts).catch(() => undefined);
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
        (item.email as RenderedEmail | undefined) ?? (parts && (await readEmailParts(postId, parts)));
      if (!email) {
        // Campaigns started before emails moved into this table kept big ones in an S3 bucket.
        const legacy = str(item.emailBlobKey);
        throw new CampaignStoreError(
          `campaign ${postId}: the rendered email is missing${legacy ? ` (it was stored in S3 as ${legacy}, which delivery no longer reads)` : ''}`,
        );
      }
      return { ...record, email };
    },

    async list() {
      const records: CampaignRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await call('list campaigns', () =>
          doc.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': CAMPAIGN_PK },
              ProjectionExpression: LIST_PROJECTION,
              ExpressionAttributeNames: LIST_NAMES,
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const item of out.Items ?? []) records.push(fromItem(item));
        start = out.LastEvaluatedKey;
      } while (start);
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

    async claim(message, claimId, now) {
      return conditional(`claim ${message.postId}/${message.subscriberId}`, () =>
        doc.send(
          new PutCommand({
            TableName,
            Item: {
              pk: ledgerPk(message.postId),
              sk: ledgerSk(message.subscriberId),
              subscriberId: message.subscriberId,
              addressHash: message.addressHash,
              state: 'claimed',
              claimId,
              attempts: 1,
              updatedAt: now.toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    },

    async getEntry(postId, subscriberId) {
      const out = await call(`get ledger ${postId}/${subscriberId}`, () =>
        doc.send(
          new GetCommand({
            TableName,
            Key: { pk: ledgerPk(postId), sk: ledgerSk(subscriberId) },
            ConsistentRead: true,
          }),
        ),
      );
      return out.Item ? entryFromItem(postId, out.Item) : undefined;
    },

    async move(postId, subscriberId, change) {
      // The state machine lives in core; a move it does not allow is a bug, never a write.
      const illegal = change.from.filter((from) => !canTransition(from, change.to));
      if (illegal.length > 0) {
        throw new CampaignStoreError(
          `ledger ${postId}/${subscriberId}: ${illegal.join(', ')} → ${change.to} is not an allowed move`,
        );
      }
      const names: Record<string, string> = { '#state': 'state' };
      const values: Record<string, unknown> = {
        ':to': change.to,
        ':claim': change.claimId,
        ':now': change.now.toISOString(),
      };
      const sets = ['#state = :to', 'updatedAt = :now'];
      const fromKeys = change.from.map((state, i) => {
        values[`:f${i}`] = state;
        return `:f${i}`;
      });
      if (change.newClaimId !== undefined) {
        sets.push('claimId = :newClaim');
        values[':newClaim'] = change.newClaimId;
      }
      if (change.messageId !== undefined) {
        sets.push('messageId = :messageId');
        values[':messageId'] = change.messageId;
      }
      if (change.reason !== undefined) {
        sets.push('#reason = :reason');
        names['#reason'] = 'reason';
        values[':reason'] = change.reason;
      }
      let update = `SET ${sets.join(', ')}`;
      if (change.newClaimId !== undefined) {
        update += ' ADD #attempts :one';
        names['#attempts'] = 'attempts';
        values[':one'] = 1;
      }
      return conditional(`move ${postId}/${subscriberId} to ${change.to}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: ledgerPk(postId), sk: ledgerSk(subscriberId) },
            UpdateExpression: update,
            ConditionExpression: `#state IN (${fromKeys.join(', ')}) AND claimId = :claim`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    async getEntries(postId, subscriberIds) {
      const found = new Map<string, LedgerEntry>();
      for (let i = 0; i < subscriberIds.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = subscriberIds
          .slice(i, i + 100)
          .map((id) => ({ pk: ledgerPk(postId), sk: ledgerSk(id) }));
        for (let round = 0; keys && keys.length > 0; round++) {
          if (round > 8)
            throw new CampaignStoreError(
              `campaign store: ledger batch get of ${postId} kept coming back unprocessed`,
            );
          const request = keys;
          const out = await call(`batch get ledger ${postId}`, () =>
            doc.send(
              new BatchGetCommand({ RequestItems: { [TableName]: { Keys: request, ConsistentRead: true } } }),
            ),
          );
          for (const item of out.Responses?.[TableName] ?? []) {
            const entry = entryFromItem(postId, item);
            found.set(entry.subscriberId, entry);
          }
          keys = out.UnprocessedKeys?.[TableName]?.Keys as Record<string, unknown>[] | undefined;
          if (keys && keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
        }
      }
      return found;
    },

    async *entries(postId, entryOptions = {}) {
      const states = entryOptions.states;
      const values: Record<string, unknown> = { ':pk': ledgerPk(postId) };
      const filter = states?.map((state, i) => {
        values[`:s${i}`] = state;
        return `:s${i}`;
      });
      let start: Record<string, unknown> | undefined;
      do {
        const out = await call(`query ledger ${postId}`, () =>
          doc.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :pk',
              ...(filter
                ? {
                    FilterExpression: `#state IN (${filter.join(', ')})`,
                    ExpressionAttributeNames: { '#state': 'state' },
                  }
                : {}),
              ExpressionAttributeValues: values,
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const item of out.Items ?? []) yield entryFromItem(postId, item);
        start = out.LastEvaluatedKey;
      } while (start);
    },

    async countStates(postId) {
      const counts = emptyCounts();
      let start: Record<string, unknown> | undefined;
      do {
        const out = await call(`count ledger ${postId}`, () =>
          doc.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': ledgerPk(postId) },
              ProjectionExpression: '#state',
              ExpressionAttributeNames: { '#state': 'state' },
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const item of out.Items ?? []) {
          const state = item.state as LedgerState;
          if (LEDGER_STATES.includes(state)) counts[state]++;
        }
        start = out.LastEvaluatedKey;
      } while (start);
      return counts;
    },

    async addToWindow(scope, windowStartMs, n, ttlSeconds) {
      const out = await call(`rate window ${scope}`, () =>
        doc.send(
          new UpdateCommand({
            TableName,
            Key: { pk: `RATE#${scope}`, sk: String(windowStartMs) },
            UpdateExpression: 'ADD #count :n SET expiresAt = :ttl',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':n': n, ':ttl': Math.ceil(windowStartMs / 1000) + ttlSeconds },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return num(out.Attributes?.count);
    },
  };
  return store;
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
