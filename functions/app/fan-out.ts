/**
 * Fan-out: pages through the confirmed subscribers (the sparse index; one page in memory at a time)
 * and enqueues one delivery message per recipient confirmed at or before the campaign start.
 * Progress is saved after every page with a conditional write, so a continuation resumes where the
 * last run stopped, and two runs racing on the same campaign cannot both advance it.
 */
import type { CampaignRecord, FanoutProgress } from '../core/campaign.ts';
import type { CampaignAudience } from '../core/topics.ts';
import type { DeliveryMessage } from './send-batch.ts';

/** One confirmed subscriber, as fan-out needs them. */
export interface AudienceMember {
  id: string;
  addressHash: string;
  confirmedAt?: Date;
}

/** Pages of confirmed subscribers in a stable order; with `audience`, only that audience, each reader once. */
export interface ConfirmedSubscribers {
  page(options: {
    cursor?: string;
    limit: number;
    audience?: CampaignAudience;
  }): Promise<{ items: AudienceMember[]; cursor?: string }>;
}

/** What {@link runFanout} needs. */
export interface FanoutDeps {
  campaigns: {
    get(postId: string): Promise<CampaignRecord | undefined>;
    saveFanout(postId: string, expectedPage: number, next: FanoutProgress, now: Date): Promise<boolean>;
  };
  subscribers: ConfirmedSubscribers;
  enqueue(messages: DeliveryMessage[]): Promise<void>;
  /** Schedules another run of fan-out for this campaign (a message to the fan-out queue). */
  continueLater(postId: string): Promise<void>;
  /** Time left in this invocation. */
  remainingMs(): number;
  now: () => Date;
  /** Subscribers per page. Default 500. */
  pageSize?: number;
  /** Stop and continue in a new invocation below this much time left. Default 30 s. */
  reserveMs?: number;
}

/** How a fan-out run ended. */
export type FanoutResult =
  | { status: 'done' | 'continued'; enqueued: number; pages: number }
  | { status: 'already-done' | 'not-found' | 'superseded'; enqueued: number; pages: number };

/** Runs fan-out for one campaign until it is done or the invocation runs low on time. */
export async function runFanout(deps: FanoutDeps, postId: string): Promise<FanoutResult> {
  const record = await deps.campaigns.get(postId);
  if (record?.kind !== 'campaign') return { status: 'not-found', enqueued: 0, pages: 0 };
  if (record.fanout.done) return { status: 'already-done', enqueued: 0, pages: 0 };
  const startedAt = record.startedAt.getTime();
  let progress = record.fanout;
  let enqueued = 0;
  let pages = 0;
  for (;;) {
    if (deps.remainingMs() < (deps.reserveMs ?? 30_000)) {
      await deps.continueLater(postId);
      return { status: 'continued', enqueued, pages };
    }
    const page = await deps.subscribers.page({
      limit: deps.pageSize ?? 500,
      ...(progress.cursor !== undefined ? { cursor: progress.cursor } : {}),
      ...(record.delivery.audience ? { audience: record.delivery.audience } : {}),
    });
    // Exactly the subscribers confirmed at or before the start: later ones were not counted.
    const messages: DeliveryMessage[] = page.items
      .filter((m) => m.confirmedAt === undefined || m.confirmedAt.getTime() <= startedAt)
      .map((m) => ({ v: 1, postId, subscriberId: m.id, addressHash: m.addressHash }));
    // Enqueue before saving the cursor: a crash in between re-enqueues one page (the ledger
    // drops the duplicates) instead of skipping it.
    if (messages.length > 0) await deps.enqueue(messages);
    const done = page.cursor === undefined;
    const next: FanoutProgress = {
      done,
      page: progress.page + 1,
      enqueued: progress.enqueued + messages.length,
      ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
      ...(done ? { finishedAt: deps.now() } : {}),
    };
    if (!(await deps.campaigns.saveFanout(postId, progress.page, next, deps.now()))) {
      return { status: 'superseded', enqueued: enqueued + messages.length, pages: pages + 1 };
    }
    progress = next;
    enqueued += messages.length;
    pages++;
    if (done) return { status: 'done', enqueued, pages };
  }
}
