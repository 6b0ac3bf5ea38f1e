/**
 * In-memory ports for the campaign use cases (start, fan-out, reconcile) with the conditional
 * semantics of the DynamoDB store: one record per post id, fan-out progress saved only from the
 * expected page, a ledger that refuses moves from the wrong state or claim.
 */
import type { AudienceMember, ConfirmedSubscribers } from '../../functions/app/fan-out.ts';
import type { DeliveryMessage } from '../../functions/app/send-batch.ts';
import {
  type CampaignRecord,
  emptyCounts,
  type FanoutProgress,
  type LedgerEntry,
  type StateCounts,
} from '../../functions/core/campaign.ts';
import type { RenderedEmail } from '../../functions/core/personalize.ts';
import { memoryLedger } from './memory-delivery.ts';

/** Campaign records in a Map, created at most once per post id. */
export function memoryCampaignRecords(initial: CampaignRecord[] = []) {
  const records = new Map(initial.map((r) => [r.postId, structuredClone(r)]));
  const emails = new Map<string, RenderedEmail>();
  return {
    records,
    emails,
    async create(record: CampaignRecord, email?: RenderedEmail) {
      const existing = records.get(record.postId);
      if (existing) return { created: false as const, existing: structuredClone(existing) };
      records.set(record.postId, structuredClone(record));
      if (email) emails.set(record.postId, email);
      return { created: true as const };
    },
    async get(postId: string) {
      const record = records.get(postId);
      return record ? structuredClone(record) : undefined;
    },
    async saveFanout(postId: string, expectedPage: number, next: FanoutProgress, now: Date) {
      const record = records.get(postId);
      if (record?.kind !== 'campaign' || record.fanout.page !== expectedPage) return false;
      record.fanout = structuredClone(next);
      record.updatedAt = now;
      return true;
    },
  };
}

/** Confirmed subscribers in a fixed order, paged by a numeric cursor. */
export function memoryAudience(members: AudienceMember[]): ConfirmedSubscribers & { pagesServed: number } {
  const audience = {
    pagesServed: 0,
    async page({ cursor, limit }: { cursor?: string; limit: number }) {
      audience.pagesServed++;
      const start = cursor === undefined ? 0 : Number(cursor);
      const items = members.slice(start, start + limit);
      const next = start + limit;
      return { items, ...(next < members.length ? { cursor: String(next) } : {}) };
    },
  };
  return audience;
}

/** The ledger with the reads reconcile needs. */
export function memoryReconcileLedger() {
  const ledger = memoryLedger();
  const all = (postId: string) => [...ledger.entries.values()].filter((e) => e.postId === postId);
  return {
    ...ledger,
    async getEntries(postId: string, subscriberIds: readonly string[]) {
      const found = new Map<string, LedgerEntry>();
      for (const entry of all(postId))
        if (subscriberIds.includes(entry.subscriberId)) found.set(entry.subscriberId, entry);
      return found;
    },
    async *entries(postId: string, options: { states?: readonly LedgerEntry['state'][] } = {}) {
      for (const entry of all(postId))
        if (!options.states || options.states.includes(entry.state)) yield { ...entry };
    },
    async countStates(postId: string): Promise<StateCounts> {
      const counts = emptyCounts();
      for (const entry of all(postId)) counts[entry.state]++;
      return counts;
    },
  };
}

/** A queue that keeps what was put on it. */
export function memoryQueue() {
  const sent: DeliveryMessage[] = [];
  return { sent, enqueue: async (messages: DeliveryMessage[]) => void sent.push(...messages) };
}
