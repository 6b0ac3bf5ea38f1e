/**
 * The global send-rate counter: one item per window under `RATE#<scope>`. An unconditional `ADD`
 * never fails, and the caller reads back the new total to see which slots it got
 * (see `core/pacing.ts`); old windows expire through TTL on `expiresAt`.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CampaignTable, num } from './campaign-table.ts';

/** The rate windows of the campaign table. */
export interface RateWindows {
  /** Atomically adds `n` to a rate window counter and returns the new total. */
  addToWindow(scope: string, windowStartMs: number, n: number, ttlSeconds: number): Promise<number>;
}

/** Rate windows in the campaign table. */
export function createRateWindows(table: CampaignTable): RateWindows {
  const { doc, TableName, call } = table;
  return {
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
}
