/**
 * Seeds confirmed readers with topics straight into a subscriber table (BatchWrite): the subscriber
 * item as the store writes it plus the audience items `topic-audience.ts` derives from it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { audienceItems } from '../../../functions/adapters/topic-audience.ts';
import { addressHash } from '../../../functions/core/email-address.ts';

/** A seeded reader; `topics` undefined = everything. */
export interface SeededReader {
  id: string;
  email: string;
  addressHash: string;
  topics: string[] | undefined;
}

/** Writes `readers` (topics per index from `topicsOf`), confirmed one millisecond apart before `confirmedBy`. */
export async function seedReaders(
  dynamo: DynamoDBClient,
  tableName: string,
  count: number,
  topicsOf: (i: number) => string[] | undefined,
  confirmedBy: Date,
  prefix = 'reader',
): Promise<SeededReader[]> {
  const seeded: SeededReader[] = [];
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(7, '0')}`;
    const email = `${id}@example.com`;
    const hash = addressHash(email);
    const topics = topicsOf(i);
    const at = new Date(confirmedBy.getTime() - (count - i));
    const confirmedAt = at.toISOString();
    seeded.push({ id, email, addressHash: hash, topics });
    items.push({
      pk: `ADDRESS#${hash}`,
      sk: 'SUBSCRIBER',
      gsi1pk: 'CONFIRMED',
      gsi1sk: `${confirmedAt}#${id}`,
      gsi2pk: `ID#${id}`,
      id,
      email,
      addressHash: hash,
      status: 'confirmed',
      createdAt: confirmedAt,
      updatedAt: confirmedAt,
      confirmedAt,
      softBounces: 0,
      consent: { at: confirmedAt, source: 'seed', method: 'import', textVersion: '1', confirmedAt },
      ...(topics ? { topics } : {}),
      version: 1,
    });
    items.push(
      ...audienceItems({
        id,
        addressHash: hash,
        status: 'confirmed',
        confirmedAt: at,
        updatedAt: at,
        ...(topics ? { topics } : {}),
      }),
    );
  }
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const doc = DynamoDBDocumentClient.from(dynamo);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < chunks.length) {
        let requests = (chunks[next++] ?? []).map((item) => ({ PutRequest: { Item: item } }));
        while (requests.length > 0) {
          const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    }),
  );
  return seeded;
}

/** A small deterministic generator (mulberry32), so seeded topic choices are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
