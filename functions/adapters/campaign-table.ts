/**
 * The campaign table: campaigns, the per-recipient send ledger, the global send-rate counter and
 * the parts of big emails, in one DynamoDB table. Each record kind has its own module
 * (`campaign-records.ts`, `send-ledger.ts`, `rate-windows.ts`, `email-parts.ts`); this one holds
 * the table's keys, its definition and the calls they share.
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
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { queryPages } from './paged-query.ts';

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

/** Partition of every campaign and not-to-mail record. */
export const CAMPAIGN_PK = 'CAMPAIGN';
export const campaignSk = (postId: string) => `POST#${postId}`;
export const ledgerPk = (postId: string) => `LEDGER#${postId}`;
export const ledgerSk = (subscriberId: string) => `SUB#${subscriberId}`;
export const emailPartPk = (postId: string) => `EMAIL#${postId}`;
/** Hash first, so one Query with `begins_with` finds exactly one version's parts, in order. */
export const emailPartSk = (hash: string, index: number) => `${hash}#${String(index).padStart(5, '0')}`;

/** One item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown) => (typeof v === 'number' ? v : 0);
export const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : undefined);

export function withoutUndefined<T extends Item>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
}

/** The table and the calls every record kind uses; errors name the table and the action. */
export interface CampaignTable {
  doc: DynamoDBDocumentClient;
  TableName: string;
  call<T>(action: string, run: () => Promise<T>): Promise<T>;
  /** Runs a conditional write; false when the condition failed. */
  conditional(action: string, run: () => Promise<unknown>): Promise<boolean>;
  /** Every item of a Query, page by page (DynamoDB pages at 1 MB). */
  query(action: string, input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item>;
}

/** Opens the table through the document client. */
export function openCampaignTable(options: { client: DynamoDBClient; tableName: string }): CampaignTable {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const TableName = options.tableName;
  const failure = (action: string, error: unknown) => {
    const name = error instanceof Error ? error.name : 'Error';
    return new CampaignStoreError(`campaign store (table ${TableName}): ${action} failed (${name})`, {
      cause: error,
    });
  };

  async function call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw failure(action, error);
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
      throw failure(action, error);
    }
  }

  async function* query(action: string, input: Omit<QueryCommandInput, 'TableName'>): AsyncGenerator<Item> {
    for await (const page of queryPages(doc, { ...input, TableName }, (error) => failure(action, error))) {
      yield* page.Items ?? [];
    }
  }

  return { doc, TableName, call, conditional, query };
}
