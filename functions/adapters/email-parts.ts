/**
 * Emails too big for their campaign item (see `campaign-table.ts`): cut into byte parts of at most
 * {@link EMAIL_PART_BYTES}, each its own item keyed by the SHA-256 of the whole JSON, written before
 * the campaign's conditional put; read back with one paged Query that checks count and hash.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RenderedEmail } from '../core/personalize.ts';
import {
  CampaignStoreError,
  type CampaignTable,
  emailPartPk,
  emailPartSk,
  type Item,
} from './campaign-table.ts';

/** Leave room under DynamoDB's 400 KB item limit for the rest of the campaign item. */
export const INLINE_EMAIL_LIMIT = 300_000;
/** Largest email part (bytes of the JSON); with its key it stays well under the 400 KB item limit. */
export const EMAIL_PART_BYTES = 300_000;
/** Parts written at once. */
const PART_WRITE_CONCURRENCY = 4;

/** What the campaign item records about an email stored in parts. */
export interface EmailPartsRef {
  /** SHA-256 (hex) of the whole email JSON. */
  hash: string;
  count: number;
  bytes: number;
}

export function partsRefFromItem(value: unknown): EmailPartsRef | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Item;
  if (typeof v.hash !== 'string' || typeof v.count !== 'number' || typeof v.bytes !== 'number') {
    return undefined;
  }
  return { hash: v.hash, count: v.count, bytes: v.bytes };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The parts of big emails. */
export interface EmailParts {
  put(postId: string, json: Buffer): Promise<EmailPartsRef>;
  read(postId: string, ref: EmailPartsRef): Promise<RenderedEmail>;
  delete(postId: string, ref: EmailPartsRef): Promise<void>;
}

/** Email parts in the campaign table. */
export function createEmailParts(table: CampaignTable): EmailParts {
  const { doc, TableName, call, query } = table;

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
    for await (const part of query(`query email parts of ${postId}`, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hash)',
      ExpressionAttributeValues: { ':pk': emailPartPk(postId), ':hash': `${hash}#` },
      ConsistentRead: true,
    })) {
      if (typeof part.index === 'number' && part.data instanceof Uint8Array) parts.set(part.index, part.data);
    }
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

  return { put: putEmailParts, read: readEmailParts, delete: deleteEmailParts };
}
