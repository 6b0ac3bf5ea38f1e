/**
 * The send ledger: one record per (campaign, recipient) under `LEDGER#<postId>`, moved through the
 * state machine of `core/campaign.ts` by conditional writes only. A move that machine does not
 * allow is refused before it reaches DynamoDB.
 */
import { BatchGetCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LedgerPort } from '../app/send-batch.ts';
import {
  canTransition,
  emptyCounts,
  LEDGER_STATES,
  type LedgerEntry,
  type LedgerState,
  type StateCounts,
} from '../core/campaign.ts';
import {
  CampaignStoreError,
  type CampaignTable,
  date,
  type Item,
  ledgerPk,
  ledgerSk,
  num,
  str,
} from './campaign-table.ts';

/** The ledger side of the campaign store. */
export interface SendLedger {
  claim: LedgerPort['claim'];
  getEntry: LedgerPort['get'];
  move: LedgerPort['move'];
  /** Ledger records for these subscribers (missing ones are absent from the map). */
  getEntries(postId: string, subscriberIds: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /** Pages through a campaign's ledger, optionally only some states. */
  entries(postId: string, options?: { states?: readonly LedgerState[] }): AsyncIterable<LedgerEntry>;
  /** Ledger records per state (one paged Query reading only the state attribute). */
  countStates(postId: string): Promise<StateCounts>;
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

/** The ledger in the campaign table. */
export function createSendLedger(table: CampaignTable): SendLedger {
  const { doc, TableName, call, conditional, query } = table;
  return {
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
      const items = query(`query ledger ${postId}`, {
        KeyConditionExpression: 'pk = :pk',
        ...(filter
          ? {
              FilterExpression: `#state IN (${filter.join(', ')})`,
              ExpressionAttributeNames: { '#state': 'state' },
            }
          : {}),
        ExpressionAttributeValues: values,
      });
      for await (const item of items) yield entryFromItem(postId, item);
    },

    async countStates(postId) {
      const counts = emptyCounts();
      const items = query(`count ledger ${postId}`, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': ledgerPk(postId) },
        ProjectionExpression: '#state',
        ExpressionAttributeNames: { '#state': 'state' },
      });
      for await (const item of items) {
        const state = item.state as LedgerState;
        if (LEDGER_STATES.includes(state)) counts[state]++;
      }
      return counts;
    },
  };
}
