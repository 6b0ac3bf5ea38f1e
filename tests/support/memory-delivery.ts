/**
 * In-memory implementations of the delivery ports with the same conditional semantics as the
 * DynamoDB store: fakes for core tests and the per-message cost benchmark (no mocks).
 */

import type { CampaignPort, LedgerPort } from '../../functions/app/send-batch.ts';
import type { CampaignRecord, CampaignWithEmail, LedgerEntry } from '../../functions/core/campaign.ts';

/** A ledger in a Map. */
export function memoryLedger(): LedgerPort & { entries: Map<string, LedgerEntry> } {
  const entries = new Map<string, LedgerEntry>();
  const key = (postId: string, subscriberId: string) => `${postId}\u0000${subscriberId}`;
  return {
    entries,
    async claim(message, claimId, now) {
      const k = key(message.postId, message.subscriberId);
      if (entries.has(k)) return false;
      entries.set(k, {
        postId: message.postId,
        subscriberId: message.subscriberId,
        addressHash: message.addressHash,
        state: 'claimed',
        claimId,
        attempts: 1,
        updatedAt: now,
      });
      return true;
    },
    async get(postId, subscriberId) {
      const entry = entries.get(key(postId, subscriberId));
      return entry ? { ...entry } : undefined;
    },
    async move(postId, subscriberId, change) {
      const entry = entries.get(key(postId, subscriberId));
      if (!entry || !change.from.includes(entry.state) || entry.claimId !== change.claimId) return false;
      entry.state = change.to;
      entry.updatedAt = change.now;
      if (change.newClaimId !== undefined) {
        entry.claimId = change.newClaimId;
        entry.attempts++;
      }
      if (change.messageId !== undefined) entry.messageId = change.messageId;
      if (change.reason !== undefined) entry.reason = change.reason;
      return true;
    },
  };
}

/** Campaigns in a Map; pauses and halts mutate the stored record. */
export function memoryCampaigns(
  campaigns: CampaignWithEmail[],
): CampaignPort & { records: Map<string, CampaignWithEmail> } {
  const records = new Map(campaigns.map((c) => [c.postId, c]));
  return {
    records,
    async loadWithEmail(postId) {
      const record = records.get(postId);
      return record ? structuredClone(record) : undefined;
    },
    async get(postId): Promise<CampaignRecord | undefined> {
      const record = records.get(postId);
      if (!record) return undefined;
      const { email: _email, ...campaign } = structuredClone(record);
      return campaign;
    },
    async pause(postId, until) {
      const record = records.get(postId);
      if (record && record.status !== 'halted')
        Object.assign(record, { status: 'paused', pausedUntil: until });
    },
    async halt(postId, reason) {
      const record = records.get(postId);
      if (record) Object.assign(record, { status: 'halted', haltReason: reason });
    },
  };
}
