/**
 * The reconciler: makes sure every subscriber counted at campaign start ends in a terminal state.
 * It re-enqueues recipients with no ledger record (lost messages) and stale `claimed` records, marks
 * stale `sending` records `unknown` (the crash policy in `campaign.ts`: never resend those), and
 * restarts a fan-out that stopped. Safe to run at any time: everything it does is idempotent and
 * guarded by the same conditional writes the send step uses.
 */
import {
  type Campaign,
  type CampaignProgress,
  type CampaignRecord,
  type LedgerEntry,
  type StateCounts,
  summarizeCampaign,
} from '../core/campaign.ts';
import type { ConfirmedSubscribers } from './fan-out.ts';
import type { DeliveryLog, DeliveryMessage, LedgerPort } from './send-batch.ts';

/** What {@link reconcileCampaign} needs. */
export interface ReconcileDeps {
  campaigns: { get(postId: string): Promise<CampaignRecord | undefined> };
  ledger: Pick<LedgerPort, 'move'> & {
    getEntries(postId: string, subscriberIds: readonly string[]): Promise<Map<string, LedgerEntry>>;
    entries(
      postId: string,
      options?: { states?: readonly LedgerEntry['state'][] },
    ): AsyncIterable<LedgerEntry>;
    countStates(postId: string): Promise<StateCounts>;
  };
  subscribers: ConfirmedSubscribers;
  enqueue(messages: DeliveryMessage[]): Promise<void>;
  /** Restarts fan-out for a campaign whose fan-out stopped. */
  continueFanout(postId: string): Promise<void>;
  now: () => Date;
  /** A `claimed`/`sending` record (or an unfinished fan-out) untouched this long is stale. Default 15 min. */
  staleAfterMs?: number;
  pageSize?: number;
}

/** What one reconciliation did. */
export interface ReconcileResult {
  postId: string;
  action: 'skipped' | 'fanout-restarted' | 'reconciled';
  requeued: number;
  markedUnknown: number;
  progress?: CampaignProgress;
}

/** Reconciles one campaign. Halted and paused campaigns are left alone (an operator resumes them). */
export async function reconcileCampaign(deps: ReconcileDeps, postId: string): Promise<ReconcileResult> {
  const record = await deps.campaigns.get(postId);
  if (record?.kind !== 'campaign') return { postId, action: 'skipped', requeued: 0, markedUnknown: 0 };
  const now = deps.now();
  const staleBefore = now.getTime() - (deps.staleAfterMs ?? 15 * 60 * 1000);
  const summary = async (c: Campaign) => summarizeCampaign(c, await deps.ledger.countStates(postId), now);

  const before = await summary(record);
  if (before.phase === 'complete' || before.phase === 'halted' || before.phase === 'paused') {
    return { postId, action: 'skipped', requeued: 0, markedUnknown: 0, progress: before };
  }
  if (!record.fanout.done) {
    if (record.updatedAt.getTime() < staleBefore) {
      await deps.continueFanout(postId);
      return { postId, action: 'fanout-restarted', requeued: 0, markedUnknown: 0, progress: before };
    }
    return { postId, action: 'skipped', requeued: 0, markedUnknown: 0, progress: before };
  }

  let requeued = 0;
  let markedUnknown = 0;
  const startedAt = record.startedAt.getTime();

  // Pass 1: everyone counted at start who has no record yet (their message was lost).
  let cursor: string | undefined;
  do {
    const page = await deps.subscribers.page({
      limit: deps.pageSize ?? 500,
      ...(cursor ? { cursor } : {}),
      ...(record.delivery.audience ? { audience: record.delivery.audience } : {}),
    });
    cursor = page.cursor;
    const members = page.items.filter(
      (m) => m.confirmedAt === undefined || m.confirmedAt.getTime() <= startedAt,
    );
    if (members.length === 0) continue;
    const found = await deps.ledger.getEntries(
      postId,
      members.map((m) => m.id),
    );
    const missing = members
      .filter((m) => !found.has(m.id))
      .map((m): DeliveryMessage => ({ v: 1, postId, subscriberId: m.id, addressHash: m.addressHash }));
    if (missing.length > 0) {
      await deps.enqueue(missing);
      requeued += missing.length;
    }
  } while (cursor !== undefined);

  // Pass 2: records stuck mid-way (covers recipients who left the confirmed list since).
  const requeue: DeliveryMessage[] = [];
  for await (const entry of deps.ledger.entries(postId, { states: ['claimed', 'sending'] })) {
    if (entry.updatedAt.getTime() >= staleBefore) continue;
    if (entry.state === 'claimed') {
      requeue.push({ v: 1, postId, subscriberId: entry.subscriberId, addressHash: entry.addressHash });
    } else {
      const moved = await deps.ledger.move(postId, entry.subscriberId, {
        from: ['sending'],
        claimId: entry.claimId,
        to: 'unknown',
        reason: 'worker stopped during the SES call; SES may have accepted the message (reconciler)',
        now,
      });
      if (moved) markedUnknown++;
    }
  }
  if (requeue.length > 0) {
    await deps.enqueue(requeue);
    requeued += requeue.length;
  }
  return { postId, action: 'reconciled', requeued, markedUnknown, progress: await summary(record) };
}

/** Where {@link reconcileCampaigns} finds the campaigns and reports what it changed. */
export interface ReconcileAllDeps extends ReconcileDeps {
  listCampaigns(): Promise<CampaignRecord[]>;
  log: Pick<DeliveryLog, 'warn'>;
}

/** Reconciles `postId`, or without it every campaign (not-to-mail records have nothing to settle). */
export async function reconcileCampaigns(
  deps: ReconcileAllDeps,
  postId?: string,
): Promise<ReconcileResult[]> {
  const postIds = postId
    ? [postId]
    : (await deps.listCampaigns()).filter((c) => c.kind === 'campaign').map((c) => c.postId);
  const results: ReconcileResult[] = [];
  for (const id of postIds) {
    const result = await reconcileCampaign(deps, id);
    if (result.requeued > 0 || result.markedUnknown > 0) {
      deps.log.warn('campaign reconciled', {
        postId: id,
        requeued: result.requeued,
        markedUnknown: result.markedUnknown,
      });
    }
    results.push(result);
  }
  return results;
}
